"""`tg.backends`: PyTorch's torch.backends as a CPU-only framework answers it, so a ported
program's first lines run as written: `device = tg.device("cuda" if tg.cuda.is_available()
else "mps" if tg.backends.mps.is_available() else "cpu")`, `tg.backends.cudnn.deterministic
= True`. `mps.is_available()` is False; cudnn's flags are kept (a program sets and reads
them) and change nothing: no GPU library is used.
"""
from __future__ import annotations

__all__ = ["mps", "cudnn"]


class _Mps:
    """torch.backends.mps: Apple's GPU, never available here."""

    @staticmethod
    def is_available() -> bool:
        """False: tinygrad_gd computes on the CPU only."""
        return False

    @staticmethod
    def is_built() -> bool:
        """False: no GPU support is built in."""
        return False


class _Cudnn:
    """torch.backends.cudnn: its flags (`deterministic`, `benchmark`, `enabled`,
    `allow_tf32`) kept as set; NVIDIA's library is never used here."""

    enabled, benchmark, deterministic, allow_tf32 = True, False, False, True

    @staticmethod
    def is_available() -> bool:
        """False: no GPU library."""
        return False


mps, cudnn = _Mps(), _Cudnn()

"""What a pass of `tg.autograd.grad` or of tg.autograd.functional adds into the `.grad` of a
`retain_grad()` tensor it reaches: PyTorch's retain_grad is a hook, which runs in any
pass, not only in backward(); `keep_retained` adds each pass's gradients there (zeros for
the passes PyTorch starts from zeros: autograd_functional.py says which).
"""
from __future__ import annotations

import numpy as np

from . import grad_starts, hooks
from .grad_mode import enable_grad, no_grad

__all__ = ["keep_retained"]


def keep_retained(passes: list, create_graph: bool, start: int, zeros: bool = False) -> None:
    """Each retain_grad() tensor a pass reached (on a path to the inputs, or one of them)
    adds its gradient (`zeros`: zeros of its shape) into its `.grad`, as PyTorch's grad does
    (its retain_grad is a hook, which runs in any pass). `start`, a stamp taken before the
    passes ran: where a `.grad` they start (None, or zeroed in place, before) starts, so
    that a diagram names a hook's change of these passes only where the `.grad` holds it."""
    with enable_grad() if create_graph else no_grad():  # (create_graph: the sum recorded)
        for found in passes:
            for tensor, gradient in found.items():
                if tensor._ctx is not None and hooks.retains(tensor):
                    grad_starts.note_start(tensor, start)
                    hooks.retained_accumulated(tensor, np.zeros(np.shape(getattr(
                        gradient, "_data", gradient)), tensor.dtype) if zeros else gradient)

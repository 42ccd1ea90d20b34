"""A leaf's `.grad` laid out as PyTorch lays it out (AccumulateGrad's "gradient layout
contract"): in the strides of the `.grad` it was added to, else in the leaf's own where the
leaf's values are dense without overlaps (every axis's stride, an axis of length 1's and
an empty leaf's too: `w.grad.stride() == w.stride()`; PyTorch's may keep the incoming
gradient's stride on an axis of length 1, which reads no other memory), else row by row.
hooks.py applies it after each addition into a leaf's `.grad`.
"""
from __future__ import annotations

import numpy as np

from .empty_strides import pytorch_strides, strides_given
from .memory_formats import _dense, _same_layout, _steps, copy_strides, laid_out, \
    preserve_format


def contracted_grad(leaf: np.ndarray, earlier: np.ndarray | None,
                    grad: np.ndarray) -> np.ndarray | None:
    """A leaf's new `.grad` values `grad` laid out as PyTorch's AccumulateGrad lays them out
    (its "gradient layout contract"), or None where they are so already: in the strides of
    the `.grad` they were added to (`earlier`: PyTorch adds in place), else in the leaf's
    where its values are dense without overlaps (all of them), else row by row."""
    target = leaf if earlier is None else earlier
    if grad.strides == target.strides and grad.size:  # (the common case)
        return None
    if earlier is None and not _dense(leaf.shape, _steps(leaf)):
        return None if grad.flags.c_contiguous else np.ascontiguousarray(grad)
    steps = copy_strides("backward", target, preserve_format) if grad.size else \
        pytorch_strides(target)  # (no entries: NumPy's strides are 0s, stride()'s PyTorch's)
    if grad.size and not (_same_layout(grad, steps) and (grad.flags.c_contiguous
                                                         or grad.flags.f_contiguous)):
        return laid_out(grad, steps)
    return strides_given(np.ndarray(grad.shape, grad.dtype, buffer=grad, strides=tuple(
        s * grad.itemsize for s in steps)))  # (the same memory, one block: read in steps)

"""The layout PyTorch gives a new result made from several operands (its TensorIterator's
rule, `iterator_strides`): the result's axes in memory in the order of the operands'
strides, the first operand that tells two axes apart deciding (a broadcast axis, stride
0, tells nothing), row by row where none does. And the copy an index array makes
(`x[:, [0, 2]]`, getitem), laid out so (`laid_out_as_pytorchs`): PyTorch's index op
iterates over x's picked view and the index arrays, so its result follows x's layout on
the axes x gives and the index arrays' on theirs; NumPy's puts the picked axes outermost.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .empty_strides import contiguous_strides, pytorch_strides, strides_given


def iterator_strides(shape: tuple, operands: list) -> tuple[int, ...]:
    """PyTorch's strides (in entries) of a new result of `shape` iterated together with
    operands of `shape` whose strides (in entries, 0 on a broadcast axis) are `operands`:
    an insertion sort of the axes, the innermost first, in which an axis goes inside
    another where the first operand telling them apart has the smaller stride there (or,
    the strides equal, the other axis is shorter)."""
    ndim = len(shape)
    order = list(range(ndim - 1, -1, -1))  # (innermost first: row by row to begin with)

    def inside(a: int, b: int) -> int:
        """1: axis b goes inside axis a; -1: a stays inside b; 0: no operand tells."""
        for steps in operands:
            if steps[a] == 0 or steps[b] == 0:
                continue
            if steps[a] != steps[b]:
                return -1 if steps[a] < steps[b] else 1
            if shape[a] > shape[b]:
                return 1
        return 0

    for i in range(1, ndim):
        moving = i
        for j in range(i - 1, -1, -1):
            told = inside(order[j], order[moving])
            if told > 0:
                order[j], order[moving] = order[moving], order[j]
                moving = j
            elif told < 0:
                break
    if order == list(range(ndim - 1, -1, -1)):
        return contiguous_strides(shape)  # (row by row: a new tensor's, each axis >= 1 long)
    steps, step = [0] * ndim, 1  # (else each the product of the sizes inside it: 0 past an
    for axis in order:  # axis of length 0, as PyTorch's)
        steps[axis] = step
        step *= shape[axis]
    return tuple(steps)


def laid_out_as_pytorchs(x: np.ndarray, index: Any, out: np.ndarray) -> np.ndarray:
    """`out`, NumPy's copy x[index] of an index with arrays or masks in it,
    in PyTorch's layout (`iterator_strides` of x's strides on the axes it keeps, the index
    arrays' on the axes they make, each reshaped as PyTorch's with axes of length 1 for
    the others); out itself where that is NumPy's layout or the index is one this does
    not read (a bool scalar)."""
    parts = index if isinstance(index, tuple) else (index,)
    if x.size and x.flags.c_contiguous:
        for part in parts:
            if isinstance(part, np.ndarray) and not part.flags.c_contiguous:
                break
        else:  # (x and the index arrays row by row: PyTorch's copy is row by row, a mask's
            # picks, each of one axis, too; an embedding's `weight[index]`, answered first)
            return out if out.flags.c_contiguous else np.ascontiguousarray(out)
    parts = list(parts)
    if any(part is Ellipsis for part in parts):
        k = parts.index(Ellipsis)
        taken = sum(p.ndim if isinstance(p, np.ndarray) and p.dtype == bool else 1
                    for p in parts if p is not None and p is not Ellipsis)
        parts[k:k + 1] = [slice(None)] * (x.ndim - taken)
    sizes, x_steps = list(x.shape), list(pytorch_strides(x))
    # the axes PyTorch's index op reads x in: (size, stride, an index array's axis?)
    axes: list = []
    arrays, where, axis = [], [], 0
    for k, part in enumerate(parts):
        if part is None:
            axes.append([1, None, False])  # (unsqueeze's stride, set below)
        elif isinstance(part, slice):
            start, stop, step = part.indices(sizes[axis])
            axes.append([len(range(start, stop, step)), x_steps[axis] * step, False])
            axis += 1
        elif isinstance(part, (bool, np.bool_)) or isinstance(part, np.ndarray) and \
                part.dtype == bool and not part.ndim:
            return out
        elif isinstance(part, np.ndarray) and part.dtype == bool:
            arrays += list(np.nonzero(part))
            where.append(k)
            axis += part.ndim
        else:  # (an int among arrays is one more index, of no axes, as NumPy's)
            arrays.append(np.asarray(part))
            where.append(k)
            axis += 1
    axes += [[n, s, False] for n, s in zip(sizes[axis:], x_steps[axis:])]
    for k in range(len(axes) - 1, -1, -1):  # (a new axis: the next one's size times stride)
        if axes[k][1] is None:
            axes[k][1] = axes[k + 1][0] * axes[k + 1][1] if k + 1 < len(axes) else 1
    picked = np.broadcast_shapes(*(a.shape for a in arrays))
    # the picked axes where the arrays stand when these stand together (each part before
    # them a slice or None: one axis kept), else first, as NumPy's and PyTorch's
    front = where[0] if where == list(range(where[0], where[-1] + 1)) else 0
    before, after = axes[:front], axes[front:]
    shape = tuple(n for n, _, _ in before) + picked + tuple(n for n, _, _ in after)
    if shape != out.shape or not picked:
        return out
    operands = [tuple(s for _, s, _ in before) + (0,) * len(picked)
                + tuple(s for _, s, _ in after)]
    for a in arrays:
        b = np.broadcast_to(a, picked)
        own = tuple(s // b.itemsize for s in b.strides)
        # reshaped with axes of length 1 around: view's strides there (read only on an
        # axis of length 1 of the result: broadcast, 0, on the others)
        lead, trail = picked[0] * own[0], own[-1]
        operands.append(tuple(lead if n == 1 else 0 for n, _, _ in before) + own
                        + tuple(trail if n == 1 else 0 for n, _, _ in after))
    steps = iterator_strides(shape, operands)
    if steps == tuple(s // out.itemsize for s in out.strides):
        return out
    room = 1 + sum((n - 1) * s for n, s in zip(shape, steps)) if out.size else 0
    made = np.ndarray(shape, out.dtype, buffer=np.empty(room, out.dtype),
                      strides=tuple(s * out.itemsize for s in steps))
    made[...] = out
    return strides_given(made)  # (no entries: stride() reports them, even 0s)

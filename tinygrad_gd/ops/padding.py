"""The pad op: a border around a tensor, a constant's or copies of its own entries.

`tg.pad` (NumPy's pad_width, or PyTorch's pad= pairs, last axis first) and its modes:
'constant', 'reflect', 'replicate'/'edge', 'circular'/'wrap', as np.pad computes them.
F.pad (nn/padding.py) keeps PyTorch's limits on top and crops by negative pads. The
backward sends each output entry's gradient to the entry it copies: a constant border's
is cut off, the copies of a reflected, replicated or wrapped entry add up (the same in
recorded ops for `backward_graph`: a cut, or `AddAt`).
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from ..errors import ShapeError
from .arguments import either, ints, number, to_tensor
from .indexing import added_at


# the modes by NumPy's names (PyTorch's 'replicate' is 'edge', its 'circular' 'wrap')
PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "edge": "edge",
             "circular": "wrap", "wrap": "wrap"}


def _pad_widths(op: str, pad_width, ndim: int, torch_order: bool) -> tuple:
    if ndim == 0:
        return ()  # nothing to pad around a number
    if torch_order:  # F.pad's (left, right, top, bottom, ...): the last axis first
        flat = ints(op, (pad_width,))
        if len(flat) % 2 or len(flat) // 2 > ndim:
            raise ShapeError(f"{op}: pad= takes (before, after) pairs, last axis first, at "
                             f"most {ndim} of them, got {pad_width!r}")
        pairs = [tuple(flat[i:i + 2]) for i in range(0, len(flat), 2)][::-1]
        widths = [(0, 0)] * (ndim - len(pairs)) + pairs
    else:
        try:
            widths = np.broadcast_to(np.asarray(pad_width, dtype=object), (ndim, 2)).tolist()
        except ValueError:
            raise ValueError(f"{op}: pad_width must be an int, a (before, after) pair or one "
                             f"pair per axis ({ndim}), got {pad_width!r}") from None
    widths = tuple(tuple(ints(op, tuple(pair))) for pair in widths)
    if any(n < 0 for pair in widths for n in pair):
        raise ValueError(f"{op}: pad widths must be >= 0 (F.pad crops by negative ones), got "
                         f"{pad_width!r}")
    return widths


class Pad(Function, methods=("pad",), functions=("pad",)):
    """A border around x, np.pad's: NumPy's pad_width, or PyTorch's pad= (last axis first).
    `mode`: 'constant' (`value`, 0 by default), 'reflect' (mirrored about the end entries),
    'replicate' or 'edge' (the end entries repeated), 'circular' or 'wrap' (the other end's
    entries), as far as NumPy's; F.pad keeps PyTorch's limits and crops by negative pads.

    forward: `x[source]` per axis (`value` where there is none)
    gradient: `g` added into the entries copied (an entry's copies add up)
    """

    @classmethod
    def call(cls, x, pad_width=None, mode="constant", *, constant_values=None, value=None,
             pad=None):
        x = to_tensor(x)
        if not isinstance(mode, str) or mode not in PAD_MODES:  # (PyTorch's error type)
            raise NotImplementedError(f"pad: mode={mode!r} is not one of {list(PAD_MODES)}")
        if (pad_width is None) == (pad is None):
            raise TypeError("pad: give pad_width (NumPy's per-axis pairs) or pad= (PyTorch's "
                            "flat pairs, last axis first), one of them")
        widths = _pad_widths(cls.name, pad if pad_width is None else pad_width, x.ndim,
                             torch_order=pad_width is None)
        fill = number(cls.name, "value", either(cls.name, "constant_values", constant_values,
                                                "value", value, 0))
        if fill != 0 and mode != "constant":
            raise ValueError(f"pad: mode={mode!r} copies entries, it takes no fill value: {fill}")
        if mode != "constant" and any(not n and w != (0, 0) for w, n in zip(widths, x.shape)):
            raise ShapeError(f"pad: mode={mode!r} has no entry to copy along an empty axis "
                             f"(input shape {x.shape}, widths {widths}); use mode='constant'")
        return cls.apply(x, widths=widths, mode=PAD_MODES[mode], value=fill)

    def forward(ctx, x, *, widths, mode="constant", value=0.0):
        if mode == "constant":  # one copy of each entry: backward cuts the border off
            ctx.cut = tuple(slice(before, before + n) for (before, _), n in zip(widths, x.shape))
            return np.pad(x, widths, constant_values=value) if widths else x.copy()
        ctx.cut = None
        # each position's entry along each axis (-1: none, np.pad's constant 0 shifted)
        sources = [np.pad(np.arange(1, n + 1), pair, mode) - 1
                   for pair, n in zip(widths, x.shape)]
        ctx.shape, ctx.sources, ctx.widths = x.shape, sources, widths
        # (the same copies as a gather over every axis, much faster)
        return np.pad(x, widths, mode) if widths else x.copy()

    def backward(ctx, g):
        if ctx.cut is not None:
            return g[ctx.cut]
        # axis by axis, in one copy of g: each border slice added to the slice it copies
        # (a few slices, no scatter over every entry), then the middle kept
        full = g.copy()
        for axis, (source, (before, _)) in enumerate(zip(ctx.sources, ctx.widths)):
            moved, n = np.moveaxis(full, axis, 0), ctx.shape[axis]
            for position in np.flatnonzero(source >= 0):
                if not before <= position < before + n:
                    moved[before + source[position]] += moved[position]
        return full[tuple(slice(before, before + n) for (before, _), n in
                          zip(ctx.widths, ctx.shape))] if ctx.widths else full

    def backward_graph(ctx, out, g):  # (the same cut, or the same sum of copies, recorded)
        if ctx.cut is not None:
            return g[ctx.cut]
        read = np.ix_(*[s[s >= 0] for s in ctx.sources])  # (each entry where it was copied
        written = np.ix_(*[np.flatnonzero(s >= 0) for s in ctx.sources])  # from, and to)
        return added_at(ctx.shape, g[written], read)

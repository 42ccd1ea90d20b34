"""More shape ops: new and removed axes, permutations, flips, padding, pieces, copies, gathers.

The same values moved, copied or picked out, so each backward moves the gradient back:
a squeeze's by reshaping, a permutation's by the inverse one, a tile's by adding up the
copies, a gather's by adding into the positions read (the pad op is padding.py's); each
`backward_graph` makes the same move in Tensor ops (a piece's: a pad; a gather's: AddAt).
Where PyTorch and NumPy name one thing differently both names are here
(`unsqueeze`/`expand_dims`, `permute`/`transpose(axes)`, `gather`/`take_along_axis`);
where one name means two things the method follows PyTorch and the function NumPy:
`x.repeat(2, 3)` tiles (PyTorch's repeat, NumPy's `tile`), `tg.repeat(x, 2, axis=0)`
repeats each element (NumPy's repeat, PyTorch's `repeat_interleave`).
A squeeze or unsqueeze of a tensor with no entries has PyTorch's strides (squeeze's:
the other axes keep theirs; unsqueeze's: memory.unsqueezed), where NumPy's are all 0.
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from ..errors import ShapeError
from ..memory import squeezed, unsqueezed
from .arguments import (Tensor, to_tensor, array_argument, check_axis, either, ints,
                        on_a_scalars_axis, one_axis, permutation, tensor_int)
from .indexing import added_at
from .padding import Pad
from .shape import Reshape, Transpose


class ExpandDims(Reshape, name="expand_dims", methods=("unsqueeze", "expand_dims"),
                 functions=("expand_dims", "unsqueeze")):
    """A new axis of size 1 at `axis` (NumPy's expand_dims, PyTorch's unsqueeze(dim)).

    forward: `x` with a new axis of size 1 at `axis`
    gradient: `g.reshape(x.shape)`
    """

    @classmethod
    def call(cls, x, axis=None, *, dim=None):
        x = to_tensor(x)
        axis = either(cls.name, "axis", axis, "dim", dim)
        if axis is None:
            raise TypeError(f"{cls.name}: give the position of the new axis, e.g. "
                            f"x.unsqueeze(0) or tg.expand_dims(x, axis=0)")
        if isinstance(axis, Tensor):  # (a 0-d integer one is an int; no other's entries)
            axis = tensor_int(cls.name, "axis", axis, "an int or a tuple of ints")
        try:
            axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        except TypeError:
            raise TypeError(f"{cls.name}: axis must be an int or a tuple of ints, got "
                            f"{type(axis).__name__} {axis!r}") from None
        ndim = x.ndim + len(axes)
        try:
            axes = check_axis(cls.name, axes, ndim)
        except np.exceptions.AxisError:  # (the axes counted are the result's: say so)
            raise np.exceptions.AxisError(
                f"{cls.name}: axis {axis} is out of range for a new axis of a tensor of "
                f"{x.ndim} dimension(s), which has {ndim} after; use an axis in "
                f"[{-ndim}, {ndim - 1}]") from None
        return cls.apply(x, shape=np.expand_dims(np.empty(x.shape, bool), axes).shape,
                         axes=axes)

    def forward(ctx, x, *, shape, axes):
        ctx.in_shape = x.shape
        out = x.reshape(shape)
        return out if x.size else unsqueezed(x, out, axes)  # (no entries: PyTorch's strides)


class Squeeze(Reshape, methods=("squeeze",), functions=("squeeze",)):
    """Axes of size 1 removed: all of them, or those named (an axis of another size stays,
    as in PyTorch).

    forward: `x` without its axes of size 1 (those named)
    gradient: `g.reshape(x.shape)`
    """

    @classmethod
    def call(cls, x, axis=None, *more_axes, dim=None):
        x = to_tensor(x)
        axis = (axis,) + more_axes if more_axes else axis  # (PyTorch's x.squeeze(0, 2))
        axis = check_axis(cls.name, either(cls.name, "axis", axis, "dim", dim), x.ndim,
                          scalar_axis=True)  # (a 0-d tensor's one axis, 0 or -1: none here)
        axes = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
        drop = {a % x.ndim for a in axes if x.shape[a] == 1}
        return cls.apply(x, shape=tuple(n for a, n in enumerate(x.shape) if a not in drop),
                         dropped=drop)

    def forward(ctx, x, *, shape, dropped):
        ctx.in_shape = x.shape
        out = x.reshape(shape)
        return out if x.size else squeezed(x, out, dropped)  # (no entries: PyTorch's strides)


class Permute(Transpose, methods=("permute",), functions=("permute",)):
    """Axes in the order given: `x.permute(2, 0, 1)` (PyTorch), a full permutation.

    forward: `x.transpose(dims)`
    gradient: `g.transpose(the inverse permutation)`
    """

    @classmethod
    def call(cls, x, *dims, **keywords):
        x = to_tensor(x)
        if set(keywords) - {"dims", "axes"}:
            raise TypeError(f"permute: unknown keyword(s) {sorted(keywords)}; give dims=")
        given = keywords.get("dims", keywords.get("axes"))
        dims = ints(cls.name, (given,) if given is not None else dims)
        return cls.apply(x, axes=permutation(cls.name, "dims", dims, x.shape))


class Swapaxes(Transpose, methods=("swapaxes",), functions=("swapaxes",)):
    """Two axes exchanged (NumPy's swapaxes(x, axis1, axis2), PyTorch's x.swapaxes(axis0,
    axis1); by keyword under either library's names: a swap reads the same either way).

    forward: `x` with the two axes exchanged
    gradient: `g` with the same two axes exchanged
    """

    @classmethod
    def call(cls, x, *pair, **names):
        given = list(pair) + [names.pop(k) for k in ("axis0", "axis1", "axis2") if k in names]
        if names or len(given) != 2:
            raise TypeError(f"swapaxes: takes two axes (by position, or NumPy's axis1=, axis2=, "
                            f"or PyTorch's axis0=, axis1=), got {len(given)} axes"
                            f"{' and the keywords ' + str(sorted(names)) if names else ''}")
        axis1, axis2 = given
        x = to_tensor(x)
        if on_a_scalars_axis(cls.name, x, axis1) and on_a_scalars_axis(cls.name, x, axis2):
            return cls.apply(x, axes=())
        order = list(range(x.ndim))
        a, b = (one_axis(cls.name, axis1, x.ndim) % x.ndim,
                one_axis(cls.name, axis2, x.ndim) % x.ndim)
        order[a], order[b] = b, a
        return cls.apply(x, axes=tuple(order))


class Moveaxis(Transpose, methods=("moveaxis", "movedim"), functions=("moveaxis", "movedim")):
    """Axes moved from `source` to `destination`, the others in order (NumPy's moveaxis).

    forward: `moveaxis(x, source, destination)`
    gradient: `moveaxis(g, destination, source)`
    """

    @classmethod
    def call(cls, x, source, destination):
        x = to_tensor(x)
        if source is None or destination is None:
            raise TypeError(f"{cls.name}: give source and destination axes (ints or tuples "
                            f"of ints), got {source!r} and {destination!r}")
        # (a 0-d tensor's one axis, 0 or -1, moved nowhere: torch's movedim(0, 0) there)
        src = check_axis(cls.name, source, x.ndim, scalar_axis=True)
        dst = check_axis(cls.name, destination, x.ndim, scalar_axis=True)
        src = [a % x.ndim for a in ((src,) if isinstance(src, int) else src)]
        dst = [a % x.ndim for a in ((dst,) if isinstance(dst, int) else dst)]
        if len(src) != len(dst):
            raise ValueError(f"moveaxis: source {source!r} and destination {destination!r} "
                             f"must name as many axes")
        order = [a for a in range(x.ndim) if a not in src]  # NumPy's own construction
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return cls.apply(x, axes=tuple(order))


class Flip(Function, methods=("flip",), functions=("flip",)):
    """The order of the entries reversed along `axis` (None: every axis), PyTorch's dims=
    (or its axes one by one, `x.flip(0, 1)`).

    forward: `flip(x, axis)`
    gradient: `flip(g, axis)`
    """

    @classmethod
    def call(cls, x, axis=None, *more_axes, dims=None, dim=None):
        x = to_tensor(x)
        axis = (axis,) + more_axes if more_axes else axis
        axis = either(cls.name, "axis", axis, "dims", dims if dims is not None else dim)
        # (a 0-d tensor's one axis, 0 or -1: nothing to flip, as torch's flip(0) there)
        return cls.apply(x, axis=check_axis(cls.name, axis, x.ndim, scalar_axis=True))

    def forward(ctx, x, *, axis=None):
        ctx.axis = axis
        return np.flip(x, axis).copy()  # (PyTorch's flip is a copy: x's later changes unseen)

    def backward(ctx, g):
        return np.flip(g, ctx.axis)

    def backward_graph(ctx, out, g):
        return Flip.apply(g, axis=ctx.axis)


class Roll(Function, methods=("roll",), functions=("roll",)):
    """The entries shifted by `shift` places along `axis`, those pushed off the end coming
    back at the start (NumPy's roll(shift, axis), PyTorch's roll(shifts, dims); several
    axes at once with tuples; axis None rolls the flattened tensor).

    forward: `roll(x, shift, axis)`
    gradient: `roll(g, -shift, axis)`
    """

    @classmethod
    def call(cls, x, shift=None, axis=None, *, shifts=None, dims=None):
        x = to_tensor(x)
        shift = either(cls.name, "shift", shift, "shifts", shifts)
        if shift is None:
            raise TypeError("roll: give shift (NumPy) or shifts (PyTorch), the places to move")
        shift = ints(cls.name, (shift,))
        axis = check_axis(cls.name, either(cls.name, "axis", axis, "dims", dims), x.ndim)
        n_axes = 1 if axis is None or isinstance(axis, int) else len(axis)
        if len(shift) != n_axes:
            raise ValueError(f"roll: {len(shift)} shifts for {n_axes} axes; give one shift "
                             f"per axis")
        return cls.apply(x, shift=shift if len(shift) > 1 else shift[0], axis=axis)

    def forward(ctx, x, *, shift, axis=None):
        ctx.shift, ctx.axis = shift, axis
        return np.roll(x, shift, axis)

    def backward(ctx, g):
        return np.roll(g, np.negative(ctx.shift), ctx.axis)

    def backward_graph(ctx, out, g):
        return Roll.apply(g, shift=np.negative(ctx.shift), axis=ctx.axis)


class Split(Function, methods=("split",), functions=("split",)):
    """Pieces along `axis` (PyTorch's split): an int is each piece's size (the last may be
    smaller), a list the sizes. A tuple of tensors, one node each.

    forward: one piece of `x` along `axis` per output
    gradient: `g` put back in its piece's place, zeros elsewhere
    """

    @classmethod
    def call(cls, x, split_size_or_sections, axis=None, *, dim=None):
        x = to_tensor(x)
        axis = one_axis(cls.name, either(cls.name, "axis", axis, "dim", dim, 0), x.ndim) % x.ndim
        n = x.shape[axis]
        sizes = split_size_or_sections
        if isinstance(sizes, Tensor):  # (PyTorch's 0-d integer tensor: the piece size)
            sizes = tensor_int(cls.name, "split_size", sizes, "an int or a list of ints")
        if isinstance(sizes, (int, np.integer)):
            if sizes < 0 or sizes == 0 and n:  # (an empty axis: one empty piece, as PyTorch's)
                raise ValueError(f"{cls.name}: the piece size must be positive (0 only for an "
                                 f"axis of length 0), got {sizes} for axis {axis} of length {n}")
            sizes = [min(sizes, n - start) for start in range(0, n, sizes)] if n else [0]
        sizes = ints(cls.name, (sizes,))
        if sum(sizes) != n:
            raise ShapeError(f"{cls.name}: sizes {list(sizes)} add up to {sum(sizes)}, but "
                             f"axis {axis} has {n} entries")
        return cls._pieces(x, axis, sizes)

    @classmethod
    def _pieces(cls, x, axis, sizes):
        starts = np.cumsum((0,) + tuple(sizes))
        return tuple(cls.apply(x, axis=axis, start=int(a), stop=int(b))
                     for a, b in zip(starts[:-1], starts[1:]))

    def forward(ctx, x, *, axis, start, stop):
        ctx.shape, ctx.axis, ctx.span = x.shape, axis, (start, stop)
        return x[(slice(None),) * axis + (slice(start, stop),)]

    def backward(ctx, g):
        full = np.zeros(ctx.shape, dtype=g.dtype)
        full[(slice(None),) * ctx.axis + (slice(*ctx.span),)] = g
        return full

    def backward_graph(ctx, out, g):  # (the piece padded back with zeros: pad's adjoint cuts)
        widths = [(0, 0)] * g.ndim
        widths[ctx.axis] = (ctx.span[0], ctx.shape[ctx.axis] - ctx.span[1])
        return Pad.apply(g, widths=tuple(widths))


class Chunk(Split, methods=("chunk",), functions=("chunk",)):
    """`chunks` pieces of equal size along `axis` (the last may be smaller), PyTorch's chunk.

    forward: one piece of `x` along `axis` per output
    gradient: `g` put back in its piece's place, zeros elsewhere
    """

    @classmethod
    def call(cls, x, chunks, axis=None, *, dim=None):
        x = to_tensor(x)
        axis = one_axis(cls.name, either(cls.name, "axis", axis, "dim", dim, 0), x.ndim) % x.ndim
        (chunks,) = ints(cls.name, (chunks,))
        if chunks <= 0:
            raise ValueError(f"{cls.name}: chunks must be positive, got {chunks}")
        n = x.shape[axis]
        size = -(-n // chunks) if n else 1
        # (an empty axis: `chunks` empty pieces, as PyTorch's)
        sizes = [min(size, n - start) for start in range(0, n, size)] or [0] * chunks
        return cls._pieces(x, axis, sizes)


class Tile(Function, methods=("tile", "repeat"), functions=("tile",)):
    """x copied `reps` times along each axis (NumPy's tile; PyTorch's x.repeat(*sizes)).
    With NumPy's `axis=`, `x.repeat(2, axis=0)` is NumPy's repeat (`repeat_interleave`).

    forward: `tile(x, reps)`
    gradient: `g` summed over the copies
    """

    @classmethod
    def call(cls, x, *reps, axis=None):
        x = to_tensor(x)
        if axis is not None:  # the keyword says which repeat: NumPy's, each entry repeated
            if len(reps) != 1:
                raise TypeError(f"{cls.name}: NumPy's repeat(repeats, axis=) takes one repeats "
                                f"argument, got {reps!r}")
            return RepeatInterleave.call(x, reps[0], axis=axis)
        reps = ints(cls.name, reps)
        if any(r < 0 for r in reps):
            raise ValueError(f"{cls.name}: repetitions must be >= 0, got {reps}")
        return cls.apply(x, reps=reps)

    def forward(ctx, x, *, reps):
        ctx.in_shape = x.shape
        return np.tile(x, reps)

    def backward(ctx, g):
        shape = (1,) * (g.ndim - len(ctx.in_shape)) + ctx.in_shape
        copies = [n // s if s else 0 for n, s in zip(g.shape, shape)]
        split = g.reshape([d for c, s in zip(copies, shape) for d in (c, s)])
        summed = split.sum(axis=tuple(range(0, split.ndim, 2)))
        return summed.reshape(ctx.in_shape)

    def backward_graph(ctx, out, g):
        return ctx.backward(g)  # (reshapes and a sum: the same steps as Tensor ops)


class RepeatInterleave(Function, name="repeat_interleave", methods=("repeat_interleave",),
                       functions=("repeat", "repeat_interleave")):
    """Each entry repeated `repeats` times along `axis` (NumPy's repeat, PyTorch's
    repeat_interleave); axis None repeats the flattened tensor. PyTorch's one-argument
    `repeat_interleave(counts)` is `arange(len(counts))` repeated (indices, no gradient);
    its `output_size=` (the result's length along the axis) is checked.

    forward: `repeat(x, repeats, axis)`
    gradient: `g` summed over each entry's repeats
    """

    @classmethod
    def call(cls, x, repeats=None, axis=None, *, dim=None, output_size=None):
        x = to_tensor(x)
        if repeats is None:  # PyTorch's repeat_interleave(counts): the indices repeated
            counts = x._data
            if counts.ndim != 1 or counts.dtype.kind not in "iu":
                raise TypeError(f"{cls.name}: given one tensor, it is the counts (a 1-D "
                                f"integer tensor), got {counts.dtype} of shape {counts.shape}")
            x, repeats = Tensor.from_op(np.arange(len(counts)), None), counts
        axis = one_axis(cls.name, either(cls.name, "axis", axis, "dim", dim), x.ndim, none_ok=True)
        repeats = array_argument(cls.name, "repeats", repeats)
        if repeats.dtype.kind not in "iu" or (repeats < 0).any():
            raise TypeError(f"{cls.name}: repeats must be whole numbers >= 0, got {repeats!r}")
        length = (x.size if axis is None else x.shape[axis]) if repeats.ndim == 0 else 1
        if output_size is not None and output_size != int(np.sum(repeats) * length):
            raise ValueError(f"{cls.name}: output_size={output_size!r} is not the result's "
                             f"length, {int(np.sum(repeats) * length)}; leave it out")
        return cls.apply(x, repeats=repeats, axis=None if axis is None else axis % x.ndim)

    def forward(ctx, x, *, repeats, axis=None):
        ctx.shape, ctx.axis = x.shape, axis
        flat = x.reshape(-1) if axis is None else x
        axis = 0 if axis is None else axis
        ctx.counts = np.broadcast_to(repeats, (flat.shape[axis],))
        return np.repeat(flat, repeats, axis=axis)

    def backward(ctx, g):
        axis = 0 if ctx.axis is None else ctx.axis
        # each entry's copies summed; an entry repeated 0 times gets 0 (reduceat would
        # give it the next entry's value, or fail past the end: only counts > 0 go in)
        summed = np.zeros(g.shape[:axis] + (len(ctx.counts),) + g.shape[axis + 1:], g.dtype)
        present = ctx.counts > 0
        if present.any():
            starts = (np.cumsum(ctx.counts) - ctx.counts)[present].astype(np.intp)
            summed[(slice(None),) * axis + (present,)] = np.add.reduceat(g, starts, axis=axis)
        return summed.reshape(ctx.shape)

    def backward_graph(ctx, out, g):  # (each copy added back to the entry it copies)
        axis = 0 if ctx.axis is None else ctx.axis
        copied = np.repeat(np.arange(len(ctx.counts)), ctx.counts)
        full = g.shape[:axis] + (len(ctx.counts),) + g.shape[axis + 1:]
        return added_at(full, g, (slice(None),) * axis + (copied,)).reshape(ctx.shape)


def _gather_index(x_shape: tuple, index: np.ndarray, axis: int) -> tuple:
    """The full index tuple that reads x at `index` along `axis`, as take_along_axis does."""
    grids = np.indices(index.shape, sparse=True)
    return tuple(index if a == axis else grids[a] for a in range(len(x_shape)))


class TakeAlongAxis(Function, name="take_along_axis", functions=("take_along_axis",)):
    """Entries picked along `axis` by an integer index of x's number of axes (NumPy's
    take_along_axis, PyTorch's gather).

    forward: `take_along_axis(x, indices, axis)`
    gradient: `g` added into the positions read (repeats add up)
    """

    @classmethod
    def call(cls, x, indices, axis=None, *, dim=None):
        x = to_tensor(x)
        axis = either(cls.name, "axis", axis, "dim", dim)
        if axis is None:
            raise TypeError(f"{cls.name}: give axis= (or dim=), the axis to pick along")
        return cls._gather(x, indices, one_axis(cls.name, axis, x.ndim) % x.ndim)

    @classmethod
    def _gather(cls, x, index, axis):
        index = array_argument(cls.name, "the index", index)
        if index.dtype.kind not in "iu":
            raise IndexError(f"{cls.name}: the index must be integer, got dtype {index.dtype}; "
                             f"build it with tg.as_tensor([...]) or tg.arange, or .long()")
        if index.ndim == 0 and x.ndim == 1:  # (PyTorch's: a 0-d index counts as one axis)
            return cls.apply(x, index=index.reshape(1), axis=axis).reshape(())
        if index.ndim != x.ndim:
            raise ShapeError(f"{cls.name}: the index has {index.ndim} axes but x has "
                             f"{x.ndim}; they must have as many")
        return cls.apply(x, index=index, axis=axis)

    def forward(ctx, x, *, index, axis):
        ctx.shape, ctx.where = x.shape, _gather_index(x.shape, ctx.fitted(x, index, axis), axis)
        try:
            return x[ctx.where]
        except IndexError:
            n, index = x.shape[axis], ctx.where[axis]
            outside = index[(index < -n) | (index >= n)]
            if not outside.size:  # (only the index along axis can be out of range)
                raise
            bad = int(outside.flat[0])
            raise IndexError(f"{ctx.name}: index {bad} is out of range for axis {axis} of size "
                             f"{n}; give indices " + (f"below {n}" if bad >= n else
                                                       f"of at least {-n}")) from None

    def fitted(ctx, x, index, axis):  # noqa: N805
        """NumPy's rule: the index broadcast against x on the other axes."""
        shape = tuple(max(a, b) if a == 1 or b == 1 else b
                      for a, b in zip(x.shape, index.shape))
        shape = tuple(n if k == axis else shape[k] for k, n in enumerate(index.shape))
        try:
            return np.broadcast_to(index, shape)
        except ValueError:
            raise ShapeError(f"{ctx.name}: an index of shape {index.shape} does not fit x of "
                             f"shape {x.shape} along axis {axis}") from None

    def backward(ctx, g):
        full = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(full, ctx.where, g)
        return full

    def backward_graph(ctx, out, g):
        return added_at(ctx.shape, g, ctx.where)


class Gather(TakeAlongAxis, methods=("gather",), functions=("gather",)):
    """Entries picked along `dim` by an integer index (PyTorch's x.gather(dim, index)): the
    output has the index's shape, `out[i][j] = x[index[i][j]][j]` for dim 0.

    forward: `x[..., index, ...]` along `dim`
    gradient: `g` added into the positions read (repeats add up)
    """

    @classmethod
    def call(cls, x, dim, index):
        x = to_tensor(x)
        if on_a_scalars_axis(cls.name, x, dim):  # out has the index's shape, () too
            shape = index.shape if isinstance(index, Tensor) else np.shape(index)
            flat = index.reshape(-1) if isinstance(index, Tensor) else np.reshape(index, -1)
            return cls._gather(x.reshape(1), flat, 0).reshape(shape)
        return cls._gather(x, index, one_axis(cls.name, dim, x.ndim) % x.ndim)

    def fitted(ctx, x, index, axis):  # noqa: N805
        """PyTorch's rule: the output has the index's shape, which may be smaller than x's
        on the other axes (those rows are read) but not larger; no negative index."""
        for k, (n, m) in enumerate(zip(index.shape, x.shape)):
            if k != axis and n > m:
                raise ShapeError(f"{ctx.name}: the index of shape {index.shape} is larger than "
                                 f"x of shape {x.shape} on axis {k}; it may be smaller on "
                                 f"axes other than dim (PyTorch's rule), not larger")
        if index.size and index.min() < 0:
            raise IndexError(f"{ctx.name}: index {index.min()} is negative; gather takes 0 to "
                             f"{x.shape[axis] - 1} along dim {axis}")
        return index


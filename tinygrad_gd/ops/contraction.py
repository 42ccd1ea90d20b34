"""Contractions: outer, tensordot, einsum, and the diagonal ops trace and diag, and
tril and triu (a matrix's triangles on either side of a diagonal).

einsum's gradient is an einsum too: the gradient of operand i contracts the output's
gradient with every other operand, back to operand i's subscripts. A letter that only
operand i has (summed away) is broadcast back; a repeated letter (a diagonal, 'ii->')
writes the gradient onto that diagonal. Each `backward_graph` takes the same steps in
Tensor ops (einsum's: `_operand_gradient` given Tensors), for second derivatives.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Function
from ..errors import ShapeError
from .arguments import (Tensor, check_axis, either, ints, one_axis, same_dtype, tensor_int,
                        to_tensor)
from .indexing import added_at
from .reductions import accumulator

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def promoted(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Operands in one dtype, PyTorch's (`same_dtype`'s rule for any number of them): beside
    a float, integers and bools take the widest float among the operands with axes (among
    the 0-d ones where none has axes), so float32 beside int64 stays float32; without a
    float, NumPy's promotion."""
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    if not floats:
        return arrays
    dtype = np.result_type(*([a.dtype for a in arrays if a.dtype.kind == "f" and a.ndim]
                             or floats))
    return tuple(a.astype(dtype, copy=False) for a in arrays)


class Outer(Function, methods=("outer",), functions=("outer",)):
    """The outer product of two vectors (inputs are flattened, as NumPy's outer).

    forward: `x[:, None] * y[None, :]`
    gradient: `g @ y` for x, `g.T @ x` for y
    """

    @classmethod
    def call(cls, input, vec2):  # noqa: A002  (PyTorch's names: tg.outer(x, vec2=y))
        return cls.apply(input, vec2)

    def forward(ctx, x, y):
        # PyTorch's promotion (float32 beside int64 stays float32) of the vectors they are
        dtypes = [a.dtype for a in same_dtype(np.atleast_1d(x), np.atleast_1d(y))]
        x, y = x.astype(dtypes[0], copy=False), y.astype(dtypes[1], copy=False)
        ctx.save_for_backward(x, y)
        # (the ufunc's own outer, called from here: np.outer's Python body would own an
        # overflow's RuntimeWarning, which numpy_warnings leaves to NumPy's modules)
        return np.multiply.outer(x.reshape(-1), y.reshape(-1))

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (g @ y.reshape(-1)).reshape(x.shape), (g.T @ x.reshape(-1)).reshape(y.shape)

    def backward_graph(ctx, out, g):
        x, y = ctx.parents
        needs_x, needs_y = ctx.needs_input_grad
        return ((g @ y.reshape(-1)).reshape(x.shape) if needs_x else None,
                (g.transpose() @ x.reshape(-1)).reshape(y.shape) if needs_y else None)


def _einsum(spec: str, *operands: np.ndarray) -> np.ndarray:
    """`np.einsum(spec, *operands)`, float16 and float32 added up in float64 (`accumulator`:
    NumPy's einsum adds up in the operands' own precision, naively), the result in their
    dtype again."""
    dtype = np.result_type(*operands)
    return np.einsum(spec, *operands, dtype=accumulator(dtype)).astype(dtype, copy=False)


def _kept_letters(subscripts: list[str], out: str, i: int) -> str:
    """Operand i's letters that another operand or the output has, each once, in order:
    the others are summed away inside operand i alone."""
    elsewhere = set(out).union(*[set(s) for k, s in enumerate(subscripts) if k != i])
    return "".join(c for c in dict.fromkeys(subscripts[i]) if c in elsewhere)


def _operand_gradient(subscripts: list[str], out: str, i: int, g, operands: tuple,
                      shape: tuple):
    """d(einsum)/d(operand i), contracted with g: an einsum back to operand i's letters.
    Of arrays, or of Tensors (g and the operands) in recorded ops, for backward_graph."""
    mine = subscripts[i]
    others = [(s, op) for k, (s, op) in enumerate(zip(subscripts, operands)) if k != i]
    unique, kept = "".join(dict.fromkeys(mine)), _kept_letters(subscripts, out, i)
    graph = isinstance(g, Tensor)
    if graph:
        partial = Einsum.apply(g, *[op for _, op in others],
                               inputs=(out,) + tuple(s for s, _ in others), out=kept)
    else:
        partial = _einsum(",".join([out] + [s for s, _ in others]) + "->" + kept, g,
                          *[op for _, op in others])
    size = {c: n for c, n in zip(mine, shape)}
    # a letter of size 1 here, broadcast against a larger size elsewhere: its copies add up
    broadcast = tuple(k for k, c in enumerate(kept) if size[c] == 1 and partial.shape[k] != 1)
    if broadcast:
        partial = partial.sum(axis=broadcast, keepdims=True)
    # letters only operand i has were summed away: each entry got all of g (and so does
    # each entry along a letter that is of size 1 in every other operand: broadcast)
    partial = partial.reshape([partial.shape[kept.index(c)] if c in kept else 1
                               for c in unique])
    sizes = tuple(size[c] for c in unique)
    partial = partial.broadcast_to(sizes) if graph else np.broadcast_to(partial, sizes)
    if len(unique) == len(mine):
        return partial.transpose(tuple(unique.index(c) for c in mine)) if unique != mine \
            else partial
    grids = np.indices(partial.shape, sparse=True)  # a repeated letter: only its diagonal
    diagonal = tuple(grids[unique.index(c)] for c in mine)  # is read
    if graph:
        return added_at(shape, partial, diagonal)
    full = np.zeros(shape, dtype=g.dtype)
    full[diagonal] = partial
    return full


def _kept_for_others(subscripts: list[str], out: str, operands: tuple, needs: tuple
                     ) -> tuple[list[str], list]:
    """What backward keeps of each operand: only what the gradients asked for read (another
    operand's gradient reads it; its own reads none of it), with the letters no other
    operand nor the output has summed away first (and a repeated letter's diagonal taken),
    as PyTorch's einsum does: a new array, not the operand's own memory. Returns each
    operand's kept letters and arrays (None: not read)."""
    if True not in needs:  # (not recorded: nothing kept)
        return subscripts, [None] * len(operands)
    kept, saved = [], []
    for j, (mine, x) in enumerate(zip(subscripts, operands)):
        letters = _kept_letters(subscripts, out, j)
        read = any(need for k, need in enumerate(needs) if k != j)
        kept.append(letters)
        saved.append(None if not read else x if letters == mine
                     else _einsum(f"{mine}->{letters}", x))
    return kept, saved


def parse_einsum(subscripts: str, ndims: list[int]) -> tuple[list[str], str]:
    """Explicit input and output letters; '...' becomes spare capital letters."""
    text = subscripts.replace(" ", "")
    inputs, arrow, out = text.partition("->")
    parts = inputs.split(",")
    if len(parts) != len(ndims):
        raise ValueError(f"einsum: {subscripts!r} names {len(parts)} operands but "
                         f"{len(ndims)} were given")
    spare = iter(c for c in LETTERS[::-1] if c not in text)
    widest = max([n - len(p.replace("...", "")) for p, n in zip(parts, ndims)
                  if "..." in p] or [0])
    ellipsis = "".join(next(spare) for _ in range(widest))
    filled = []
    for part, n in zip(parts, ndims):
        if "..." in part:
            part = part.replace("...", ellipsis[widest - (n - len(part) + 3):])
        if len(part) != n or not all(c in LETTERS for c in part):
            raise ShapeError(f"einsum: subscripts {part!r} do not fit an operand with {n} "
                             f"axes; write one letter per axis")
        filled.append(part)
    if not arrow:  # implicit: letters used once, in alphabetical order
        counts = "".join(filled)
        out = ellipsis + "".join(sorted(c for c in set(counts) if counts.count(c) == 1
                                        and c not in ellipsis))
    else:
        out = out.replace("...", ellipsis)
    return filled, out


def _sublist_subscripts(args: tuple) -> tuple[str, tuple]:
    """NumPy's and PyTorch's other form, `einsum(a, [0, 1], b, [1, 2], [0, 2])` (each
    operand followed by its axes' numbers, 0 to 51 or `...`, then the output's, optional),
    as subscripts and operands: 'ab,bc->ac', (a, b)."""
    def letters(sublist: Any) -> str:
        if not isinstance(sublist, (list, tuple)) or not all(
                s is Ellipsis or isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 52
                for s in sublist):
            raise TypeError(f"einsum: without a subscripts string, the operands are each "
                            f"followed by a list of axis numbers (0 to 51, or ...), e.g. "
                            f"einsum(a, [0, 1], b, [1, 2]); got {sublist!r:.60}")
        return "".join("..." if s is Ellipsis else LETTERS[s] for s in sublist)
    pairs = args[:len(args) - len(args) % 2]
    subscripts = ",".join(letters(sub) for sub in pairs[1::2])
    if len(args) % 2:
        subscripts += "->" + letters(args[-1])
    return subscripts, pairs[0::2]


def _check_sizes(subscripts: str, inputs: list[str], operands: tuple) -> None:
    """Each letter's axes of one size, as einsum sums along them: a letter repeated in one
    operand (its diagonal) of one size exactly, and across operands an axis of size 1
    broadcast to the size the others have; else refused naming the letter, its sizes and the
    operands' shapes, as PyTorch's (NumPy's words were of broadcasting "remapped shapes")."""
    sizes: dict[str, tuple[int, int]] = {}  # letter: (operand, size), a size 1 until another
    for k, (letters, x) in enumerate(zip(inputs, operands)):
        own: dict[str, int] = {}
        for letter, size in zip(letters, x.shape):
            if own.setdefault(letter, size) != size:
                raise ShapeError(f"einsum: subscript {_shown(letter, subscripts)} is repeated in "
                                 f"operand {k} over axes of sizes {own[letter]} and {size} "
                                 f"(shapes {_shapes(operands)}); a repeated letter takes a "
                                 f"diagonal, whose axes must be of one size")
            first = sizes.get(letter)
            if first is None or first[1] == 1 != size:
                sizes[letter] = (k, size)
            elif size not in (1, first[1]):
                raise ShapeError(f"einsum: subscript {_shown(letter, subscripts)} is an axis of "
                                 f"size {first[1]} in operand {first[0]} and {size} in operand "
                                 f"{k} (shapes {_shapes(operands)}); the axes a letter names "
                                 f"must be of one size (or 1)")


def _shown(letter: str, subscripts: str) -> str:
    """A letter of `subscripts` as a refusal names it, '...' for one the ellipsis stands for."""
    return f"{repr(letter) if letter in subscripts else repr('...')} of {subscripts!r}"


def _shapes(operands: tuple) -> str:
    """The operands' shapes, listed."""
    return ", ".join(str(t.shape) for t in operands)


class Einsum(Function, functions=("einsum",)):
    """Einstein summation: `tg.einsum('ij,jk->ik', a, b)`, any number of operands; also as
    operands each followed by its axes' numbers, `tg.einsum(a, [0, 1], b, [1, 2], [0, 2])`.

    forward: `einsum(subscripts, *operands)`
    gradient: for each operand, `einsum` of `g` with the other operands, back to its subscripts
    """

    @classmethod
    def call(cls, subscripts, *operands):
        if not isinstance(subscripts, str) and operands and not isinstance(operands[0], str):
            subscripts, operands = _sublist_subscripts((subscripts,) + operands)
        if not isinstance(subscripts, str):
            raise TypeError(f"einsum: the first argument is the subscripts string, e.g. "
                            f"'ij,jk->ik', got {type(subscripts).__name__}")
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])  # PyTorch also takes a list
        operands = tuple(to_tensor(x) for x in operands)
        inputs, out = parse_einsum(subscripts, [x.ndim for x in operands])
        _check_sizes(subscripts, inputs, operands)
        return cls.apply(*operands, inputs=tuple(inputs), out=out)

    def forward(ctx, *operands, inputs, out):
        operands = promoted(*operands)  # (np.einsum's: float32 beside int64 is float64)
        ctx.inputs, ctx.out = list(inputs), out
        ctx.shapes = [x.shape for x in operands]
        ctx.kept, saved = _kept_for_others(ctx.inputs, out, operands, ctx.needs_input_grad)
        ctx.save_for_backward(*saved)
        return _einsum(",".join(inputs) + "->" + out, *operands)

    def backward(ctx, g):
        saved = ctx.saved_tensors
        return tuple(_operand_gradient([ctx.inputs[i] if k == i else kept
                                        for k, kept in enumerate(ctx.kept)],
                                       ctx.out, i, g, saved, shape)
                     if ctx.needs_input_grad[i] else None for i, shape in enumerate(ctx.shapes))

    def backward_graph(ctx, out, g):
        return tuple(_operand_gradient(ctx.inputs, ctx.out, i, g, ctx.parents, x.shape)
                     if ctx.needs_input_grad[i] else None for i, x in enumerate(ctx.parents))


class Tensordot(Einsum, functions=("tensordot",)):
    """Sum of products over the last `axes` axes of x and the first of y (or two lists); a
    contracted axis of size 1 is broadcast against the other's, as PyTorch's (NumPy refuses).

    forward: `tensordot(x, y, axes)`
    gradient: `tensordot` of `g` with the other operand, back to each operand's axes
    """

    @classmethod
    def call(cls, x, y, axes=2, *, dims=None):
        x, y = to_tensor(x), to_tensor(y)
        axes = dims if dims is not None else axes
        if isinstance(axes, Tensor) and axes.size == 1:  # (one integer entry: its int, torch's)
            axes = tensor_int(cls.name, "dims", axes.reshape(()) if axes.dtype.kind in "iu"
                              else axes, "an int")
        if isinstance(axes, (int, np.integer)):
            if not 0 <= axes <= min(x.ndim, y.ndim):
                raise ShapeError(f"tensordot: axes={axes} but the operands have {x.ndim} and "
                                 f"{y.ndim} axes")
            pairs = (list(range(x.ndim - axes, x.ndim)), list(range(axes)))
        else:
            if not isinstance(axes, (tuple, list, Tensor)) or len(axes) != 2:
                raise TypeError(f"tensordot: dims must be an int or two lists of axes (of the "
                                f"first operand, then the second), got {axes!r}")
            first, second = axes
            one = (int, np.integer)
            pairs = ([first] if isinstance(first, one) else list(first),
                     [second] if isinstance(second, one) else list(second))
        # each axis checked as every op's is (out of range: refused, not wrapped around)
        a = [check_axis(cls.name, k, x.ndim) % x.ndim for k in pairs[0]]
        b = [check_axis(cls.name, k, y.ndim) % y.ndim for k in pairs[1]]
        if len(a) != len(b) or any(x.shape[i] != y.shape[j] and 1 not in (
                x.shape[i], y.shape[j]) for i, j in zip(a, b)):
            raise ShapeError(f"tensordot: axes {a} of shape {x.shape} and {b} of shape "
                             f"{y.shape} must be as many and of equal sizes (or size 1)")
        xs = list(LETTERS[:x.ndim])
        ys = list(LETTERS[x.ndim:x.ndim + y.ndim])
        for i, j in zip(a, b):
            ys[j] = xs[i]
        out = "".join(c for k, c in enumerate(xs) if k not in a) + \
            "".join(c for k, c in enumerate(ys) if k not in b)
        return cls.apply(x, y, inputs=("".join(xs), "".join(ys)), out=out)


class Trace(Function, methods=("trace",), functions=("trace",)):
    """The sum of a matrix's diagonal (diagonal `offset`, as NumPy's trace).

    forward: `sum(diag(x, offset))`
    gradient: `g` on the diagonal, 0 elsewhere
    """

    @classmethod
    def call(cls, x, offset=0):
        x = to_tensor(x)
        if x.ndim != 2:
            raise ShapeError(f"trace: needs a matrix (2 axes), got shape {x.shape}")
        (offset,) = ints(cls.name, (offset,))
        return cls.apply(x, offset=offset)

    def forward(ctx, x, *, offset=0):
        ctx.shape, ctx.offset = x.shape, offset
        return np.trace(x, offset)

    def backward(ctx, g):
        return g * np.eye(*ctx.shape, k=ctx.offset, dtype=g.dtype)

    def backward_graph(ctx, out, g):
        return ctx.backward(g)  # (g times a constant: the same on a Tensor)


class Diag(Function, methods=("diag",), functions=("diag",)):
    """A vector's diagonal matrix, or a matrix's diagonal (diagonal k), as NumPy's diag: a
    copy, as PyTorch's (`x.diagonal()` is a view: the op `diagonal`).

    forward: `diag(x, k)`
    gradient: `diag(g, k)`: the diagonal back to a vector, or a vector back on the diagonal
    """

    @classmethod
    def call(cls, x, k=None, *, diagonal=None):
        x = to_tensor(x)
        if x.ndim not in (1, 2):
            raise ShapeError(f"diag: needs a vector or a matrix, got shape {x.shape}")
        (k,) = ints(cls.name, (either(cls.name, "k", k, "diagonal", diagonal, 0),))  # as tril's
        return cls.apply(x, k=k)

    def forward(ctx, x, *, k=0):
        ctx.shape, ctx.k = x.shape, k
        return np.diag(x, k).copy()  # (a matrix's: NumPy's is a read-only view)

    def backward(ctx, g):
        if len(ctx.shape) == 1:
            return np.diag(g, ctx.k)
        full = np.zeros(ctx.shape, dtype=g.dtype)
        full[ctx.diagonal()] = g
        return full

    def backward_graph(ctx, out, g):
        if len(ctx.shape) == 1:
            return Diag.apply(g, k=ctx.k)
        return added_at(ctx.shape, g, ctx.diagonal())

    def diagonal(ctx):  # noqa: N805
        """The rows and columns of a matrix x's diagonal k, the entries the output reads."""
        return np.nonzero(np.eye(*ctx.shape, k=ctx.k, dtype=bool))


class Diagonal(Function, name="diagonal"):
    """The diagonal `offset` (above the main one if > 0) of the matrices over axes dim1 and
    dim2, as a last axis (PyTorch's and NumPy's diagonal): a view of x, writable.

    forward: `out[..., i] = x[..., i, i + offset]` over (dim1, dim2)
    gradient: `g` put back on that diagonal, zeros elsewhere
    """

    @classmethod
    def call(cls, x, offset=0, dim1=0, dim2=1):
        x = to_tensor(x)
        (offset,) = ints(cls.name, (offset,))
        first, second = (one_axis(cls.name, d, x.ndim) % x.ndim for d in (dim1, dim2))
        if first == second:  # (PyTorch's RuntimeError, NumPy's ValueError: both)
            raise ShapeError(f"diagonal: dim1 and dim2 name one axis ({dim1}, {dim2}); give "
                             f"two different axes")
        return cls.apply(x, offset=offset, dim1=first, dim2=second)

    def forward(ctx, x, *, offset, dim1, dim2):
        ctx.shape, ctx.where = x.shape, (offset, dim1, dim2)
        out = np.diagonal(x, offset, dim1, dim2)
        out.flags.writeable = x.flags.writeable  # (NumPy's view is read-only: writes through
        return out  # it reach x, as PyTorch's, under no_grad() and on a constant)

    def backward(ctx, g):
        full = np.zeros(int(np.prod(ctx.shape)), dtype=g.dtype)
        full[ctx.read()] = g.ravel()
        return full.reshape(ctx.shape)

    def backward_graph(ctx, out, g):
        return added_at((int(np.prod(ctx.shape)),), g.reshape(-1), ctx.read()).reshape(
            ctx.shape)

    def read(ctx):  # noqa: N805
        """The flat position in x of each entry the output reads, in the output's order."""
        return np.diagonal(np.arange(int(np.prod(ctx.shape))).reshape(ctx.shape),
                           *ctx.where).ravel()


class Tril(Function, methods=("tril",), functions=("tril",)):
    """The lower triangle: entries above diagonal k set to 0 (k=, or PyTorch's diagonal=).

    forward: `tril(x, k)`
    gradient: `tril(g, k)`
    """

    @classmethod
    def call(cls, x, k=None, *, diagonal=None):
        x = to_tensor(x)
        if x.ndim < 2:
            raise ShapeError(f"{cls.name}: needs a matrix (2 or more axes), got shape {x.shape}")
        (k,) = ints(cls.name, (either(cls.name, "k", k, "diagonal", diagonal, 0),))
        return cls.apply(x, k=k)

    def forward(ctx, x, *, k=0):
        ctx.k = k
        return np.tril(x, k)

    def backward(ctx, g):
        return np.tril(g, ctx.k)

    def backward_graph(ctx, out, g):  # (Triu's too: the same triangle of g)
        return type(ctx).apply(g, k=ctx.k)


class Triu(Tril, methods=("triu",), functions=("triu",)):
    """The upper triangle: entries below diagonal k set to 0 (k=, or PyTorch's diagonal=).

    forward: `triu(x, k)`
    gradient: `triu(g, k)`
    """

    def forward(ctx, x, *, k=0):
        ctx.k = k
        return np.triu(x, k)

    def backward(ctx, g):
        return np.triu(g, ctx.k)

"""PyTorch's copy variants of the view ops: `tg.view_copy`, `permute_copy`, `expand_copy`,
`diagonal_copy`, `as_strided_copy`, `squeeze_copy`, `unsqueeze_copy`, `t_copy`,
`transpose_copy`, `unfold_copy`, `alias_copy`, `select_copy`, `slice_copy`,
`detach_copy` (the copy without a graph), and the ones that give several tensors,
`unbind_copy`, `split_copy` and `split_with_sizes_copy`.

Each is the view op followed by the op `clone`, so its result holds values of its own: a
write into it reaches neither the input nor any view of it (and a write into the input
leaves it as it was). In the graph they are those two ops (`permute`, then `clone`), with
the view's gradient; their signatures and results are PyTorch's (torch.permute_copy and
the others), as are the views' shapes. A bad argument is refused in one line naming the
`_copy` function, with the view's reason and what to give instead.
"""
from __future__ import annotations

from typing import Any, Callable

from .memory_formats import contiguous_format
from .ops.arguments import integer
from .nn.layer_arguments import _as_tensor
from .op_errors import respelled
from .scope import drawn_as_call
from .tensor import Tensor

__all__ = ["alias_copy", "as_strided_copy", "diagonal_copy", "expand_copy", "permute_copy",
           "squeeze_copy", "t_copy", "transpose_copy", "unbind_copy", "unfold_copy",
           "unsqueeze_copy", "view_copy", "split_with_sizes_copy", "select_copy", "slice_copy",
           "split_copy", "detach_copy"]

def _copied(name: str, input: Any, view: Callable[[Tensor], Any]) -> Any:  # noqa: A002
    """`view(x)` (one tensor, or a tuple of them) with each tensor cloned, x the input as a
    tensor; the view's refusal renamed as `name`'s."""
    x = _as_tensor(name, input)
    try:
        out = view(x)
    except (ValueError, TypeError, IndexError, RuntimeError) as error:
        raise respelled(error, None, name) from None
    if isinstance(out, Tensor):  # (row by row, as PyTorch's _copy functions give)
        return out.clone(memory_format=contiguous_format)
    return tuple(part.clone(memory_format=contiguous_format) for part in out)


def _drawn(function: Callable) -> Callable:
    """`function` drawn as the call written, `view_copy()` around the view and its clone,
    what it was given named by its parameters (scope.drawn_as_call)."""
    return drawn_as_call(f"{function.__name__}()")(function)


@_drawn
def alias_copy(input: Any) -> Tensor:  # noqa: A002  (PyTorch's names)
    """A copy of input (PyTorch's alias_copy: torch.alias, a view of the whole tensor,
    copied): the op clone, its gradient the incoming one."""
    return _copied("alias_copy", input, lambda x: x)


@_drawn
def as_strided_copy(input: Any, size: Any, stride: Any,  # noqa: A002
                    storage_offset: Any = None) -> Tensor:
    """`tg.as_strided(input, size, stride, storage_offset)` copied (PyTorch's
    as_strided_copy): input's memory read as `size` with `stride` (in entries) from
    `storage_offset` (input's own by default), then clone. The gradient adds up at each
    entry read, as as_strided's."""
    return _copied("as_strided_copy", input,
                   lambda x: x.as_strided(size, stride, storage_offset))


@_drawn
def diagonal_copy(input: Any, offset: int = 0, dim1: int = 0,  # noqa: A002
                  dim2: int = 1) -> Tensor:
    """The diagonal `offset` (above the main one if > 0) over the axes dim1 and dim2, as
    the last axis, copied (PyTorch's diagonal_copy): the ops diagonal and clone."""
    return _copied("diagonal_copy", input, lambda x: x.diagonal(offset, dim1, dim2))


@_drawn
def expand_copy(input: Any, size: Any, *, implicit: bool = False) -> Tensor:  # noqa: A002
    """input broadcast to `size` (-1 keeps an axis's length; new axes in front), copied
    (PyTorch's expand_copy; `implicit` is PyTorch's internal flag and changes nothing):
    the ops broadcast_to and clone, so the gradient sums over the repeats."""
    if not isinstance(size, (tuple, list)):
        size = (size,)  # (one int: a 1-d size, as PyTorch's)
    return _copied("expand_copy", input, lambda x: x.expand(tuple(size)))


@_drawn
def permute_copy(input: Any, dims: Any) -> Tensor:  # noqa: A002
    """input's axes in the order `dims` (negative ones from the end), copied (PyTorch's
    permute_copy): the ops permute and clone."""
    if not isinstance(dims, (tuple, list)):
        dims = (dims,)
    return _copied("permute_copy", input, lambda x: x.permute(tuple(dims)))


@_drawn
def squeeze_copy(input: Any, dim: Any = None) -> Tensor:  # noqa: A002
    """input without its axes of length 1 (all of them, or those of `dim`, an int or a
    tuple, where they have length 1: an axis of another length is kept, as PyTorch's),
    copied (PyTorch's squeeze_copy): the ops squeeze and clone."""
    return _copied("squeeze_copy", input,
                   lambda x: x.squeeze() if dim is None else x.squeeze(dim))


@_drawn
def t_copy(input: Any) -> Tensor:  # noqa: A002
    """A matrix transposed, copied; a 1-d or 0-d tensor as it is (PyTorch's t_copy): the
    ops transpose (x.t()'s) and clone."""
    return _copied("t_copy", input, lambda x: x.t())


@_drawn
def transpose_copy(input: Any, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """input with the axes dim0 and dim1 swapped, copied (PyTorch's transpose_copy): the
    ops transpose and clone."""
    return _copied("transpose_copy", input, lambda x: x.transpose(dim0, dim1))


@_drawn
def unbind_copy(input: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """input's slices along `dim`, each copied: a tuple of tensors without that axis
    (PyTorch's unbind_copy): getitem and clone for each."""
    return _copied("unbind_copy", input, lambda x: x.unbind(dim))


@_drawn
def unfold_copy(input: Any, dimension: int, size: int, step: int) -> Tensor:  # noqa: A002
    """Every window of `size` entries along `dimension`, `step` apart, as a new last axis,
    copied (PyTorch's unfold_copy): the ops unfold and clone; the gradient adds up where
    windows overlap."""
    return _copied("unfold_copy", input, lambda x: x.unfold(dimension, size, step))


@_drawn
def unsqueeze_copy(input: Any, dim: int) -> Tensor:  # noqa: A002
    """input with a new axis of length 1 at `dim` (in [-input.ndim - 1, input.ndim]),
    copied (PyTorch's unsqueeze_copy): the ops unsqueeze (expand_dims) and clone."""
    return _copied("unsqueeze_copy", input, lambda x: x.unsqueeze(dim))


@_drawn
def view_copy(input: Any, size: Any) -> Tensor:  # noqa: A002
    """input's values in the shape `size` (one -1 inferred), copied (PyTorch's view_copy):
    the ops reshape and clone. PyTorch's other form, a dtype for `size` (the bytes read
    as another dtype), is refused in one line, as `x.view(dtype)` is."""
    if not isinstance(size, (tuple, list)):
        size = (size,)
    return _copied("view_copy", input, lambda x: x.view(*size))


@_drawn
def split_with_sizes_copy(input: Any, split_sizes: Any,  # noqa: A002
                          dim: int = 0) -> tuple[Tensor, ...]:
    """input cut along `dim` into pieces of the lengths `split_sizes` (adding up to that
    axis's length), each copied: a tuple (PyTorch's split_with_sizes_copy): the op split
    (x.split_with_sizes's) and a clone of each piece."""
    return _copied("split_with_sizes_copy", input,
                   lambda x: x.split_with_sizes(split_sizes, dim))


@_drawn
def select_copy(input: Any, dim: int, index: int) -> Tensor:  # noqa: A002
    """The slice at `index` along `dim`, without that axis, copied (PyTorch's select_copy):
    the ops getitem and clone."""
    return _copied("select_copy", input, lambda x: x.select(dim, index))


@_drawn
def slice_copy(input: Any, dim: int = 0, start: Any = None, end: Any = None,  # noqa: A002
               step: int = 1) -> Tensor:
    """input[..., start:end:step, ...] along `dim` (PyTorch's slice: bounds past the ends
    clipped, a step of at least 1), copied (PyTorch's slice_copy): getitem and clone."""
    def view(x: Tensor) -> Tensor:
        axis = integer("slice_copy", "dim", dim)
        if not -x.ndim <= axis < x.ndim:
            valid = f"a dim in [{-x.ndim}, {x.ndim - 1}]" if x.ndim else "an input with an axis"
            raise IndexError(f"dim {axis} is out of range for an input of shape {x.shape}; "
                             f"use {valid}")
        bounds = [None if b is None else integer("slice_copy", name, b)
                  for name, b in (("start", start), ("end", end))]
        if integer("slice_copy", "step", step) < 1:
            raise ValueError(f"step must be positive, got {step}; flip the result "
                             f"(tg.flip) for a reversed slice")
        return x[(slice(None),) * (axis % x.ndim) + (slice(*bounds, step),)]
    return _copied("slice_copy", input, view)


@_drawn
def split_copy(input: Any, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """input cut along `dim` into pieces of `split_size` (the last one shorter), each
    copied: a tuple (PyTorch's split_copy): the op split and a clone of each piece."""
    return _copied("split_copy", input, lambda x: x.split(split_size, dim))


def detach_copy(input: Any) -> Tensor:  # noqa: A002
    """A copy of input's values outside any graph (PyTorch's detach_copy: x.detach(),
    copied): it needs no gradient, and a write into it reaches nothing else."""
    return _copied("detach_copy", input, lambda x: x.detach())

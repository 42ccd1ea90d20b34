"""PyTorch's memory formats and the `memory_format=` keyword that takes them.

`tg.preserve_format`, `tg.contiguous_format`, `tg.channels_last` and `tg.channels_last_3d`
are PyTorch's `torch.preserve_format`, ... (each a `tg.memory_format`). `x.to(...)`, the
casts (`x.float()`, `x.double()`, `x.half()`, `x.int()`, `x.long()`, `x.short()`,
`x.char()`, `x.byte()`, `x.bool()`, `x.type(dtype)`), `x.clone()`, `x.contiguous()`,
`x.is_contiguous()` and the `*_like` functions take `memory_format=` as PyTorch's do.
A tensor's values here are a NumPy array, laid out row by row (C order) wherever a copy is
made: `preserve_format` (PyTorch's default) gives what the call gives without the keyword,
and `contiguous_format` contiguous values wherever a copy is made, as PyTorch's: `x =
x.T.double(memory_format=tg.contiguous_format)` of a float32 x is contiguous, while `to`
and a cast that change nothing give x itself, as it is. `channels_last` and
`channels_last_3d` (images' channels innermost: NHWC, NDHWC) are not modelled and are
refused in one line, as is anything else; PyTorch's own objects (`torch.preserve_format`)
are read as these.
The casts are made here (`cast`), each `x.to(dtype, memory_format=...)`: the op `to`, in
the graph to a float dtype, a new tensor without gradient to an integer or bool one.
"""
from __future__ import annotations

import functools
import reprlib
from typing import Any, Callable

import numpy as np

__all__ = ["memory_format", "preserve_format", "contiguous_format", "channels_last",
           "channels_last_3d"]


class memory_format:  # noqa: N801  (PyTorch's name: isinstance(f, tg.memory_format))
    """How a tensor's values are laid out in memory (PyTorch's torch.memory_format): one of
    `tg.preserve_format`, `tg.contiguous_format`, `tg.channels_last`, `tg.channels_last_3d`."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"tinygrad_gd.{self.name}"

    def __reduce__(self) -> str:
        return self.name  # (pickled and copied as the module's constant: `is` keeps working)


preserve_format = memory_format("preserve_format")
"""The layout of the input where a copy is made (PyTorch's default): the call as without
the keyword."""
contiguous_format = memory_format("contiguous_format")
"""Values laid out row by row (C order) without gaps: `x.contiguous()`'s layout."""
channels_last = memory_format("channels_last")
"""PyTorch's NHWC layout of a 4-d tensor: not modelled here, refused in one line."""
channels_last_3d = memory_format("channels_last_3d")
"""PyTorch's NDHWC layout of a 5-d tensor: not modelled here, refused in one line."""

_FORMATS = {f.name: f for f in (preserve_format, contiguous_format, channels_last,
                                channels_last_3d)}
_NOT_MODELLED = {"channels_last": "NHWC", "channels_last_3d": "NDHWC"}


def check_memory_format(where: str, value: Any) -> memory_format:
    """The format `memory_format=value` asks `where` for: preserve_format (None, the
    default) or contiguous_format, ours or PyTorch's; channels_last and channels_last_3d
    refused in one line (RuntimeError), any other value too (TypeError)."""
    if value is None:
        return preserve_format
    found = value if isinstance(value, memory_format) else None
    if type(value).__name__ == "memory_format" and type(value).__module__ == "torch":
        found = _FORMATS.get(str(value).removeprefix("torch."))  # (torch's, read by name)
    if found is None:
        raise TypeError(f"{where}: memory_format must be tg.preserve_format or "
                        f"tg.contiguous_format, got {type(value).__name__} "
                        f"{reprlib.repr(value)}; leave the keyword out for the default")
    if found.name in _NOT_MODELLED:
        raise RuntimeError(f"{where}: memory_format={value!r} is not supported: "
                           f"{_NOT_MODELLED[found.name]} layouts are not modelled here "
                           f"(the values are laid out row by row, C order); drop the "
                           f"memory_format keyword")
    return found


def taking_memory_format(function: Callable) -> Callable:
    """`function` (a `*_like` function, whose values are a fresh C-ordered array: contiguous
    and preserving alike) taking PyTorch's `memory_format=` too, checked in one line."""
    @functools.wraps(function)
    def taking_memory_format(*args: Any, memory_format: Any = None, **kwargs: Any) -> Any:
        check_memory_format(function.__name__, memory_format)
        return function(*args, **kwargs)
    return taking_memory_format


def cast(dtype: Any, name: str, note: str = "") -> Callable:
    """PyTorch's cast method `name` (`x.float()`, `x.long()`, ...): `x.to(dtype)`, taking
    `memory_format=` (checked in one line naming `name`); `note` ends its docstring."""
    def method(self: Any, *, memory_format: Any = None) -> Any:
        return self.to(dtype, memory_format=check_memory_format(name, memory_format))
    method.__name__ = method.__qualname__ = name
    how = "in the graph (the op `to`, " if np.dtype(dtype).kind == "f" else "without gradient ("
    method.__doc__ = f"The values as {np.dtype(dtype).name}, {how}PyTorch's {name}()){note}."
    return method

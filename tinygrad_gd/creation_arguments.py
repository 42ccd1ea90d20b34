"""What PyTorch's creation functions take beside NumPy's arguments: `device=` (the CPU,
tinygrad_gd's only one) and `layout=` (`torch.strided`, its default and the only layout
here), accepted as PyTorch's programs give them (`torch.zeros(3, device=device,
layout=torch.strided)`), any other refused in one line; and a range's bounds given as 0-d
tensors or bools (`torch.linspace(tensor(0.), tensor(1.), 5)`, `torch.arange(False,
True)`). `on_the_cpu` adds the two keywords to a function that makes a tensor: creation's,
the random draws of `random`, `tril_indices` and `triu_indices`.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from .ops.arguments import finite
from .tensor import Tensor
from .values import check_cpu


def check_layout(layout: Any, where: str) -> None:
    """Refuse a layout other than PyTorch's default `torch.strided` (or tg.strided, or the
    name "strided"; None: none given), in one line naming `where`."""
    if layout is not None and str(layout).removeprefix("torch.") != "strided":
        raise TypeError(f"{where}: layout {layout!r} is not supported; tinygrad_gd's tensors "
                        f"are dense NumPy arrays (torch.strided, PyTorch's default): leave "
                        f"layout out")


def on_the_cpu(function: Callable) -> Callable:
    """`function` taking PyTorch's `device=` and `layout=` too (`torch.zeros(3,
    device=device)`): the CPU ("cpu", torch.device("cpu")) and the strided layout
    accepted, any other refused in one line."""
    @functools.wraps(function)
    def on_the_cpu(*args: Any, device: Any = None, layout: Any = None, **kwargs: Any) -> Any:
        check_cpu(device, f"{function.__name__}()")
        check_layout(layout, f"{function.__name__}()")
        return function(*args, **kwargs)
    return on_the_cpu


def range_bound(where: str, name: str, value: Any, hint: str) -> Any:
    """A bound or step of arange, linspace or logspace: a finite number, a bool (0 or 1) or
    a 0-d tensor (its value); `hint` ends the refusal of an infinite one."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise TypeError(f"{where}: {name} must be a number or a 0-d tensor, got a tensor "
                            f"of shape {value.shape}; give one value (t.item())")
        value = value.item()
    value = int(value) if isinstance(value, (bool, np.bool_)) else value
    finite(where, name, value, hint)
    return value

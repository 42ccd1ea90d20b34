"""A layer's or a function's number setting given as a 0-d tensor, read as its number.

PyTorch reads `ignore_index=torch.tensor(2)` (cross_entropy, nll_loss and their modules),
`padding_idx=torch.tensor(2)` (embedding, Embedding) as the int 2 and dropout's
`p=torch.tensor(0.5)` as the float 0.5; here too (an int setting from an integer tensor of
one entry of any shape, `torch.tensor([2])`, as PyTorch's). What PyTorch refuses there is
refused in one line: a float or bool tensor for an int (torch: "must be int, not Tensor", or
an internal assert for a bool one), a tensor of more than 0 axes or one that requires grad
for p. Only a value that is a tensor comes here: the settings' checks test their plain ints
and floats first, so such a call pays nothing for it.
"""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor

__all__ = ["held_int", "held_float"]


def held_int(where: str, name: str, value: Any) -> Any:
    """`value`, an int setting (`name`), as the int an integer tensor of one entry holds
    (0-d, or `tensor([2])`, as PyTorch's int argument reads it); any other tensor refused
    in one line; anything else as it is, for the setting's check."""
    if not isinstance(value, Tensor):
        return value
    if value.size == 1 and value.dtype.kind in "iu":
        return int(value._data.item())
    raise TypeError(f"{where}: {name} must be an int, got a tensor of shape {value.shape} and "
                    f"dtype {value.dtype}; only an integer tensor of one entry stands for an "
                    f"int here (0-d or of any shape, as PyTorch's): give {name}=int(t)")


def held_float(where: str, name: str, value: Any) -> Any:
    """`value`, a number setting (`name`: dropout's p), as the float a 0-d tensor holds (a
    bool or integer one too, as PyTorch's); one with more axes, or one that requires grad
    (a setting is no input of the graph), refused in one line; anything else as it is."""
    if not isinstance(value, Tensor):
        return value
    if value.ndim or value.requires_grad:
        why = (f"of shape {value.shape}" if value.ndim else "that requires grad (a "
               "setting takes no gradient)")
        raise TypeError(f"{where}: {name} must be a number or a 0-d tensor without grad, got "
                        f"a tensor {why}; give {name}=t.item()")
    return float(value._data)

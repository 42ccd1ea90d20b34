"""PyTorch's `F` functions named after a kernel of its own, written here as compositions of
tinygrad_gd's ops (their gradients from `backward()`, each drawn as the one call written):

- `conv_tbc`: a 1-d convolution of (time, batch, channels) input, fairseq's layout, as
  `conv1d` of the input moved to (batch, channels, time);
- `grouped_mm`: the matrix products of a mixture of experts' groups, as `matmul` of the
  groups' slices, joined.

`scaled_mm` and `scaled_grouped_mm` (products of float8 values with their scales) are
refused in one line: NumPy has no float8 dtype. `tg.nn.functional` takes these names
from here when `tg.nn` is imported (nn/__init__.py).
"""
from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_gd as tg

from ..errors import ShapeError
from ..in_place import shown
from ..scope import drawn_as_call
from ..tensor import Tensor
from ..values import numeric_dtype
from .layer_arguments import _as_tensor
from .padding import pad as _pad
from .spatial_functions import conv1d

__all__ = ["conv_tbc", "grouped_mm"]


@drawn_as_call("F.conv_tbc()")
def conv_tbc(input: Any, weight: Any, bias: Any, pad: int = 0) -> Tensor:  # noqa: A002
    """PyTorch's conv_tbc: a 1-d convolution (a cross-correlation, as conv1d) of `input`
    (time, batch, in_channels) with `weight` (kernel width, in_channels, out_channels) and
    `bias` (out_channels,), the time axis padded by `pad` zeros at each end (a negative pad
    cuts that many steps off each end, as PyTorch's). The result is (time + 2 pad - kernel
    width + 1, batch, out_channels), empty when that is 0, as PyTorch's: conv1d of
    input.permute(1, 2, 0) with weight.permute(2, 1, 0), moved back."""
    where = "conv_tbc"
    input = _as_tensor(where, input)
    weight = _as_tensor(where, weight, input, "weight")
    bias = _as_tensor(where, bias, input, "bias")
    if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)):
        raise TypeError(f"{where}: pad must be an int (time steps), got {shown(pad)}")
    if input.ndim != 3:
        raise ShapeError(f"{where}: input must have 3 dimensions (time, batch, in_channels), "
                         f"got shape {input.shape}")
    if weight.ndim != 3:
        raise ShapeError(f"{where}: weight must have 3 dimensions (kernel width, in_channels, "
                         f"out_channels), got shape {weight.shape}")
    if input.shape[2] != weight.shape[1]:
        raise ShapeError(f"{where}: input of shape {input.shape} has {input.shape[2]} channels "
                         f"(axis 2), but weight of shape {weight.shape} takes "
                         f"{weight.shape[1]} (axis 1)")
    if bias.shape != weight.shape[2:]:
        raise ShapeError(f"{where}: bias of shape {bias.shape} does not fit weight of shape "
                         f"{weight.shape}; expected ({weight.shape[2]},), one per output "
                         f"channel")
    steps, width, pad = input.shape[0], weight.shape[0], int(pad)
    if steps + 2 * pad < width - 1:
        raise ShapeError(f"{where}: {steps} time steps padded by {pad} at each end are fewer "
                         f"than the kernel's width {width} less 1; give a longer input or "
                         f"more pad")
    if steps + 2 * pad == width - 1:  # no step: an empty result, as PyTorch's
        return input[:0] @ weight[0] + bias
    if pad < 0:  # (conv1d pads by >= 0: cut the steps off first)
        input, pad = input[-pad:steps + pad], 0
    out = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)


def _offsets(where: str, offs: Any, groups: int | None, length: int, axis: str) -> list[int]:
    """offs as ints: one per group, non-decreasing, from 0 to the grouped axis's length."""
    values = np.asarray(offs._data if isinstance(offs, Tensor) else offs)
    if values.dtype.kind not in "iu" or values.ndim != 1:
        raise TypeError(f"{where}: offs must be a 1-d tensor of whole numbers (the end of each "
                        f"group along {axis}), got {shown(offs)}")
    ends = [int(v) for v in values]
    if not ends:
        raise ValueError(f"{where}: offs is empty; give the end of each group (at least one)")
    if groups is not None and len(ends) != groups:
        raise ShapeError(f"{where}: offs gives {len(ends)} groups, but the 3-d operand holds "
                         f"{groups}; give one end per group")
    if any(b < a for a, b in zip([0] + ends, ends)) or (ends and ends[-1] > length):
        raise ValueError(f"{where}: offs must rise from 0 to at most {length}, the length of "
                         f"{axis}, got {ends}; give each group's end, in order")
    return ends


@drawn_as_call("F.grouped_mm()")
def grouped_mm(mat_a: Any, mat_b: Any, *, offs: Any = None, bias: Any = None,
               out_dtype: Any = None) -> Tensor:
    """PyTorch's grouped_mm: the products of groups of matrices, a mixture of experts'.
    `offs` (the end of each group along the grouped axis) goes with a 2-d operand:

    - a (G, M, K), b (G, K, N), no offs: a @ b, (G, M, N);
    - a (T, K), b (G, K, N): rows offs[g-1]:offs[g] of a times b[g], (T, N);
    - a (M, T), b (T, N): a[:, offs[g-1]:offs[g]] @ b[offs[g-1]:offs[g]], (G, M, N);
    - a (G, M, K), b (K, T): a[g] @ b[:, offs[g-1]:offs[g]], (M, T).

    Rows (columns) after offs[-1] are 0 (PyTorch's are left unset). Float operands of one
    dtype, as PyTorch's; float64 too, which its CPU kernel refuses. `bias` is refused, as
    PyTorch's CPU kernel refuses it; `out_dtype` must be the operands' dtype (the same)."""
    where = "grouped_mm"
    a = _as_tensor(where, mat_a, None, "mat_a")
    b = _as_tensor(where, mat_b, a, "mat_b")
    if bias is not None:
        raise NotImplementedError(f"{where}: bias is not supported, as in PyTorch's; add it to "
                                  f"the result")
    for name, x in (("mat_a", a), ("mat_b", b)):
        if x.dtype.kind != "f" or x.ndim not in (2, 3):
            raise TypeError(f"{where}: {name} must be a 2-d or 3-d float tensor, got shape "
                            f"{x.shape} of dtype {x.dtype}")
    if a.dtype != b.dtype:
        raise TypeError(f"{where}: mat_a ({a.dtype}) and mat_b ({b.dtype}) must have one "
                        f"dtype; cast one: mat_b.to(mat_a.dtype)")
    if out_dtype is not None and numeric_dtype(out_dtype, where) != a.dtype:
        raise TypeError(f"{where}: out_dtype {numeric_dtype(out_dtype, where)} differs from "
                        f"the operands' {a.dtype}; leave it out, or cast the result")
    if (offs is None) != (a.ndim == 3 and b.ndim == 3):
        raise ValueError(f"{where}: offs goes with a 2-d operand, and only then (mat_a "
                         f"{a.shape}, mat_b {b.shape}); give it for a 2-d one, not for two "
                         f"3-d ones")
    inner = a.shape[-1] if a.ndim == 3 or b.ndim == 3 else None
    if inner is not None and inner != b.shape[-2]:
        raise ShapeError(f"{where}: mat_a of shape {a.shape} and mat_b of shape {b.shape} do "
                         f"not fit: a's last axis ({inner}) must be b's next to last "
                         f"({b.shape[-2]})")
    if a.ndim == 3 and b.ndim == 3:
        if a.shape[0] != b.shape[0]:
            raise ShapeError(f"{where}: mat_a of shape {a.shape} and mat_b of shape {b.shape} "
                             f"hold {a.shape[0]} and {b.shape[0]} groups; give as many")
        return a @ b
    if a.ndim == 2 and b.ndim == 2:
        if a.shape[1] != b.shape[0]:
            raise ShapeError(f"{where}: mat_a of shape {a.shape} and mat_b of shape {b.shape} "
                             f"do not share the grouped axis: {a.shape[1]} and {b.shape[0]}")
        ends = _offsets(where, offs, None, b.shape[0], "mat_a's axis 1 and mat_b's axis 0")
        starts = [0] + ends[:-1]
        return tg.stack([a[:, s:e] @ b[s:e] for s, e in zip(starts, ends)], axis=0)
    if a.ndim == 2:  # (T, K) rows grouped
        ends = _offsets(where, offs, b.shape[0], a.shape[0], "mat_a's axis 0")
        out = tg.cat([a[s:e] @ b[g] for g, (s, e) in enumerate(zip([0] + ends[:-1], ends))],
                     axis=0)
        return out if ends[-1] == a.shape[0] else _pad(out, (0, 0, 0, a.shape[0] - ends[-1]))
    ends = _offsets(where, offs, a.shape[0], b.shape[1], "mat_b's axis 1")  # (K, T) columns
    out = tg.cat([a[g] @ b[:, s:e] for g, (s, e) in enumerate(zip([0] + ends[:-1], ends))],
                 axis=1)
    return out if ends[-1] == b.shape[1] else _pad(out, (0, b.shape[1] - ends[-1]))


def _float8_refused(name: str) -> Any:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{name}: its operands are float8 values with their scales, and NumPy "
                        f"has no float8 dtype; multiply float tensors: "
                        f"{'F.grouped_mm' if 'grouped' in name else 'a @ b'}")
    refused.__name__ = refused.__qualname__ = name
    refused.__doc__ = f"Refused: PyTorch's {name} multiplies float8 values (NumPy has none)."
    return refused


scaled_mm = _float8_refused("scaled_mm")
scaled_grouped_mm = _float8_refused("scaled_grouped_mm")

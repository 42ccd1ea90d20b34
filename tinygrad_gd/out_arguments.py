"""PyTorch's `out=` argument of a `tg.` function: the result written into tensors the user
gives (`tg.exp(x, out=y)`; `tg.max(x, 1, out=(values, indices))` for a function giving
several), every one checked before any is written. The caller says whether grad mode is on
(`recording`): this module imports nothing of the package (op_errors.py, below the engine,
imports it)."""
from __future__ import annotations

from typing import Any

import numpy as np


def written_out(name: str, result: Any, out: Any, recording: bool) -> Any:
    """`result`'s values written into `out` (a tensor of the result's shape, of a dtype the
    result casts to), which is returned; for a result of several tensors (values and
    indices) a tuple of as many, each of its part's own dtype (as PyTorch's), returned as
    the result's kind of tuple. Refused where the
    result needs a gradient, or (`recording`: grad mode on) an out does, as PyTorch refuses
    it (a write into out is in no graph)."""
    if isinstance(result, tuple):
        fields = getattr(result, "_fields", None) or [f"result {k}" for k in range(len(result))]
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name}: gives {len(result)} tensors ({', '.join(fields)}); out= "
                            f"must be a tuple of {len(result)} Tensors, one for each, got "
                            f"{type(out).__name__}"
                            + (f" of {len(out)}" if isinstance(out, (tuple, list)) else ""))
        for part, into in zip(result, out):
            _check(name, part, into, recording, exact=True)
        written = [into.copy_(part) for part, into in zip(result, out)]
        return type(result)(*written) if hasattr(result, "_fields") else tuple(written)
    _check(name, result, out, recording)
    return out.copy_(result)


def _check(name: str, result: Any, out: Any, recording: bool, exact: bool = False) -> None:
    """Whether `out` can take `result`'s values, or one line saying why not; `exact`: of
    the result's own dtype (PyTorch's rule for a function giving several tensors)."""
    if not callable(getattr(out, "copy_", None)):
        raise TypeError(f"{name}: out= must be a Tensor, got {type(out).__name__}")
    if getattr(result, "requires_grad", False) or recording and out.requires_grad:
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           f"differentiation, but one of the arguments requires grad; write "
                           f"y = tg.{name}(...) instead (or call it under tg.no_grad())")
    integers = np.dtype(result.dtype).kind in "iu"  # (indices: an integer out, as PyTorch's)
    if tuple(out.shape) != tuple(result.shape) or not np.can_cast(result.dtype, out.dtype,
                                                                   "same_kind") \
            or integers and np.dtype(out.dtype).kind not in "iu" \
            or exact and np.dtype(out.dtype) != np.dtype(result.dtype):
        raise ValueError(f"{name}: out= has shape {tuple(out.shape)} and dtype {out.dtype}, the "
                         f"result shape {tuple(result.shape)} and dtype {result.dtype}; give an "
                         f"out of the result's shape and " + (
                             f"its dtype, {result.dtype}" if exact else "an integer dtype "
                             "(int64), as for indices" if integers else "a dtype it casts to"))
    values = getattr(out, "_data", None)
    if values is not None and not values.flags.writeable:  # (copy_'s refusal: said of name)
        raise ValueError(f"{name}: cannot write into out= of shape {tuple(out.shape)}: its "
                         f"values are read-only (a broadcast view, as expand() makes, or "
                         f"overlapping windows); give an out of values of its own "
                         f"(out.clone())")

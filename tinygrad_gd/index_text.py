"""An index as the package writes it, on one line and as the user wrote it: `index_text`.
getitem's and setitem's refusals (ops/indexing.py, tensor.py) show it between brackets,
and so does an op node's title in a diagram (graph/titles.py, `getitem [1:3, 0]`). It
imports nothing from the package, so both can use it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__: list[str] = []  # (the package's own)


def index_text(index: Any, longest: int = 8) -> str:
    """`index` as written between brackets: `1`, `:, 0`, `1:3`, `1::2`, `...`, `None`; a
    1-d array or list of at most `longest` entries as its list, a longer or wider one (whose
    repr spans lines) by its dtype and shape: `<int64 index of shape (2, 2)>`, `<bool mask
    of shape (3, 4)>`."""
    def part(item: Any) -> str:
        if isinstance(item, slice):
            ends = ["" if e is None else str(e) for e in (item.start, item.stop, item.step)]
            return ":".join(ends if item.step is not None else ends[:2])
        if item is Ellipsis:
            return "..."
        if isinstance(item, list):
            try:
                item = np.asarray(item)
            except ValueError:  # (a ragged list: its repr is one line)
                return repr(item)
        if isinstance(item, (np.ndarray, np.generic)):
            if item.ndim == 0:
                return repr(item.item())
            if item.ndim == 1 and item.size <= longest:
                return repr(item.tolist())
            kind = "bool mask" if item.dtype == bool else f"{item.dtype} index"
            return f"<{kind} of shape {item.shape}>"
        return repr(item)
    return ", ".join(map(part, index if isinstance(index, tuple) else (index,)))

"""The options every drawing takes (`draw_graph`, `render_graph`, `backward_steps`, the
command line), checked in one place: a bad one is refused in one line naming the call."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..grad_mode import check_flag

_DIRECTIONS = ("LR", "RL", "TB", "BT")
_MODES = ("forward", "backward")


@dataclass
class _Options:
    show_data: bool
    show_grad: bool
    direction: str
    max_nodes: int | None
    mode: str
    legend: bool
    precision: int
    constants: bool = False
    open_modules: bool = False

    @classmethod
    def checked(cls, where: str, show_data: bool = True, show_grad: bool = True,
                direction: str = "TB", max_nodes: int | None = 200, mode: str = "forward",
                legend: bool = False, precision: int = 4, constants: bool = False,
                open_modules: bool = False, **_names_and_highlight: Any) -> _Options:
        unknown = set(_names_and_highlight) - {"params", "model", "highlight"}
        if unknown:
            raise TypeError(f"{where}: unknown option(s) {sorted(unknown)}")
        if direction not in _DIRECTIONS:
            raise ValueError(f"{where}: direction must be one of {_DIRECTIONS} (Graphviz's "
                             f"rankdir), got {direction!r}")
        if mode not in _MODES:
            raise ValueError(f"{where}: mode must be 'forward' or 'backward', got {mode!r}")
        if max_nodes is not None and (isinstance(max_nodes, bool)
                                      or not isinstance(max_nodes, (int, np.integer))
                                      or max_nodes < 2):
            raise ValueError(f"{where}: max_nodes must be None (draw every node) or an "
                             f"integer >= 2, got {max_nodes!r}")
        if isinstance(precision, bool) or not isinstance(precision, (int, np.integer)) \
                or not 1 <= precision <= 17:
            raise ValueError(f"{where}: precision must be an integer from 1 to 17 "
                             f"(significant digits), got {precision!r}")
        show_data, show_grad, legend, constants, open_modules = (  # (show_data="no": refused)
            check_flag(where, name, flag) for name, flag in zip(
                ("show_data", "show_grad", "legend", "constants", "open_modules"),
                (show_data, show_grad, legend, constants, open_modules)))
        return cls(show_data, show_grad, direction, None if max_nodes is None else int(max_nodes),
                   mode, legend, int(precision), constants, open_modules)

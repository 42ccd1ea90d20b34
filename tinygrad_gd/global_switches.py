"""PyTorch's global switches that a program sets at its top, at the top level as PyTorch's:
determinism (`use_deterministic_algorithms`, `are_deterministic_algorithms_enabled`,
`is_deterministic_algorithms_warn_only_enabled`, `set_deterministic_debug_mode`,
`get_deterministic_debug_mode`), the precision of float32 matrix products
(`set_float32_matmul_precision`, `get_float32_matmul_precision`) and anomaly mode
(`set_anomaly_enabled`, `is_anomaly_enabled`, `is_anomaly_check_nan_enabled`: those of
tg.autograd.set_detect_anomaly).

Every op here is deterministic already (NumPy on the CPU: the same inputs give the same
results, run after run), and a float32 product is computed in float32 itself, PyTorch's
"highest" precision, which "high" and "medium" allow too: so the first two kinds of
switch are kept and read back, as PyTorch's, and each setting is already honoured.
"""
from __future__ import annotations

from typing import Any

from . import anomaly
from .anomaly import is_anomaly_enabled
from .grad_mode import check_flag
from .in_place import shown

__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "set_anomaly_enabled", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]

_DEBUG_MODES = ("default", "warn", "error")  # (0, 1, 2: PyTorch's numbers of them)
_PRECISIONS = ("highest", "high", "medium")
# (deterministic, warn_only) as use_deterministic_algorithms set them; the matmul precision
_switches: dict[str, Any] = {"deterministic": (False, False), "precision": "highest"}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic ops only (PyTorch's torch.use_deterministic_algorithms): every
    op here is one, so nothing is refused or warned of; the setting is read back by
    are_deterministic_algorithms_enabled and get_deterministic_debug_mode."""
    where = "use_deterministic_algorithms"
    _switches["deterministic"] = (check_flag(where, "mode", mode),
                                  check_flag(where, "warn_only", warn_only))


def are_deterministic_algorithms_enabled() -> bool:
    """Whether use_deterministic_algorithms(True) is set (PyTorch's)."""
    return _switches["deterministic"][0]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether use_deterministic_algorithms(True, warn_only=True) is set (PyTorch's)."""
    return _switches["deterministic"][1]


def set_deterministic_debug_mode(debug_mode: int | str) -> None:
    """PyTorch's other spelling of use_deterministic_algorithms: 0 or "default" (off), 1 or
    "warn" (on, warn_only), 2 or "error" (on)."""
    if isinstance(debug_mode, str) and debug_mode in _DEBUG_MODES:
        debug_mode = _DEBUG_MODES.index(debug_mode)
    if type(debug_mode) is not int or debug_mode not in (0, 1, 2):
        raise RuntimeError(f"set_deterministic_debug_mode: debug_mode must be 0, 1, 2 or "
                           f"'default', 'warn', 'error', got {shown(debug_mode)}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0 (deterministic ops not asked for), 1 (asked for, warn_only) or 2 (PyTorch's)."""
    deterministic, warn_only = _switches["deterministic"]
    return 0 if not deterministic else 1 if warn_only else 2


def set_float32_matmul_precision(precision: str) -> None:
    """The precision float32 matrix products may use (PyTorch's): "highest", "high" or
    "medium". Each is honoured: the products here are computed in float32 itself."""
    if precision not in _PRECISIONS:
        raise ValueError(f"set_float32_matmul_precision: precision must be 'highest', "
                         f"'high' or 'medium', got {shown(precision)}")
    _switches["precision"] = precision


def get_float32_matmul_precision() -> str:
    """The precision set_float32_matmul_precision set, "highest" by default (PyTorch's)."""
    return _switches["precision"]


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Anomaly mode on or off in this thread (PyTorch's torch.set_anomaly_enabled):
    tg.autograd.set_detect_anomaly(enabled, check_nan) called alone."""
    where = "set_anomaly_enabled"
    anomaly.set_detect_anomaly(check_flag(where, "enabled", enabled),
                               check_flag(where, "check_nan", check_nan))


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode checks the results for NaN and Inf (PyTorch's): True unless
    it was switched on with check_nan=False."""
    return anomaly._active.check_nan

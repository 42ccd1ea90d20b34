"""PyTorch's global switches that a program sets at its top, at the top level as PyTorch's:
determinism (`use_deterministic_algorithms`, `are_deterministic_algorithms_enabled`,
`is_deterministic_algorithms_warn_only_enabled`, `set_deterministic_debug_mode`,
`get_deterministic_debug_mode`), the precision of float32 matrix products
(`set_float32_matmul_precision`, `get_float32_matmul_precision`) and anomaly mode
(`set_anomaly_enabled`, `is_anomaly_enabled`, `is_anomaly_check_nan_enabled`: those of
tg.autograd.set_detect_anomaly); threads (`get_num_threads`, `set_num_threads`,
`get_num_interop_threads`, `set_num_interop_threads`), `set_flush_denormal`,
`set_warn_always` and `is_warn_always_enabled`, and the deprecated
`set_default_tensor_type` (tg.set_default_dtype under torch's old name).

Every op here is deterministic already (NumPy on the CPU: the same inputs give the same
results, run after run), and a float32 product is computed in float32 itself, PyTorch's
"highest" precision, which "high" and "medium" allow too: so the first two kinds of
switch are kept and read back, as PyTorch's, and each setting is already honoured.

What cannot be set is said so, never pretended: NumPy's BLAS starts its threads when
NumPy loads (OMP_NUM_THREADS and its like, read then), so `set_num_threads` can change
nothing afterwards and warns where asked for another count than the one running; ops
run one after another in the calling thread (one "interop" thread); NumPy keeps
denormal numbers, so `set_flush_denormal` returns False (PyTorch's answer where the CPU
cannot flush them) and changes nothing.
"""
from __future__ import annotations

import os
import warnings
from typing import Any

from .errors import user_stacklevel
from . import anomaly, legacy_types
from .anomaly import is_anomaly_enabled
from .grad_mode import check_flag
from .in_place import shown
from .legacy_types import _LegacyType
from .properties import set_default_dtype

__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "set_anomaly_enabled", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "get_num_threads", "set_num_threads",
           "get_num_interop_threads", "set_num_interop_threads", "set_flush_denormal",
           "set_warn_always", "is_warn_always_enabled", "set_default_tensor_type"]

_DEBUG_MODES = ("default", "warn", "error")  # (0, 1, 2: PyTorch's numbers of them)
_PRECISIONS = ("highest", "high", "medium")
# (deterministic, warn_only) as use_deterministic_algorithms set them; the matmul precision
_switches: dict[str, Any] = {"deterministic": (False, False), "precision": "highest",
                             "warn_always": False}
# where NumPy's BLAS reads its thread count when it loads (OpenBLAS, MKL, OpenMP)
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


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


def _threads_at_load() -> int:
    """The count OPENBLAS_NUM_THREADS, MKL_NUM_THREADS or OMP_NUM_THREADS gives, else the
    CPUs this process may run on (what OpenBLAS and MKL take by default)."""
    for name in _THREAD_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1


# read as this module loads, NumPy loaded already: a variable set later changes nothing
_THREADS_AT_LOAD = _threads_at_load()


def get_num_threads() -> int:
    """The threads NumPy's BLAS (matrix products, solves) runs with, as PyTorch's
    get_num_threads counts its intra-op threads: what the BLAS says it runs where
    threadpoolctl is installed, else the count OPENBLAS_NUM_THREADS, MKL_NUM_THREADS or
    OMP_NUM_THREADS gave when NumPy loaded, else the CPUs this process may run on."""
    try:
        import threadpoolctl
    except ImportError:
        return _THREADS_AT_LOAD
    blas = [lib for lib in threadpoolctl.threadpool_info() if lib.get("user_api") == "blas"]
    blas = [lib for lib in blas if "numpy" in lib.get("filepath", "")] or blas
    return int(blas[0]["num_threads"]) if blas else _THREADS_AT_LOAD


def _positive_count(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RuntimeError(f"{where}: expects a positive integer (a thread count), got "
                           f"{shown(value)}")
    return value


def set_num_threads(int: int) -> None:  # noqa: A002  (PyTorch's parameter name)
    """PyTorch's set_num_threads: here it can change nothing (NumPy's BLAS fixed its
    threads when NumPy loaded), so asking for another count than get_num_threads()'s
    warns, saying how to set it (OMP_NUM_THREADS before Python starts); the same count
    passes quietly. A count below 1 is refused, as PyTorch's."""
    count, running = _positive_count("set_num_threads", int), get_num_threads()
    if count != running:
        warnings.warn(f"set_num_threads({count}): NumPy's BLAS runs with "
                      f"{running} threads, fixed when NumPy loaded; set "
                      f"OMP_NUM_THREADS={count} before Python starts", UserWarning,
                      stacklevel=user_stacklevel())


def get_num_interop_threads() -> int:
    """1: ops run one after another in the calling thread (PyTorch's inter-op pool)."""
    return 1


def set_num_interop_threads(int: int) -> None:  # noqa: A002
    """PyTorch's set_num_interop_threads: 1 is what runs (ops one after another in the
    calling thread); another count warns that it cannot be had. Below 1 refused."""
    count = _positive_count("set_num_interop_threads", int)
    if count != 1:
        warnings.warn(f"set_num_interop_threads({count}): ops run one after another in "
                      f"the calling thread here; there is no pool to size", UserWarning,
                      stacklevel=user_stacklevel())


def set_flush_denormal(mode: bool) -> bool:
    """Whether denormal floats could be flushed to zero (PyTorch's): False, as PyTorch
    answers on a CPU without the instructions: NumPy keeps denormals, and nothing
    changes whichever `mode` is given."""
    check_flag("set_flush_denormal", "mode", mode)
    return False


def set_warn_always(b: bool) -> None:
    """PyTorch's warn_always flag, read back by is_warn_always_enabled. PyTorch's gives
    some of its own warnings once per process unless it is set; here Python's warnings
    filters decide how often a warning shows (`warnings.simplefilter("always")` shows
    every one), and the flag changes none of them."""
    _switches["warn_always"] = check_flag("set_warn_always", "b", b)


def is_warn_always_enabled() -> bool:
    """Whether set_warn_always(True) was called last (PyTorch's; False at the start)."""
    return _switches["warn_always"]


def set_default_tensor_type(t: Any) -> None:
    """PyTorch's deprecated set_default_tensor_type, with its deprecation warning:
    tg.set_default_dtype of the type's dtype (tg.FloatTensor: float32,
    tg.DoubleTensor or "torch.DoubleTensor": float64, tg.HalfTensor: float16); PyTorch's
    own classes (torch.DoubleTensor) by their names; an integer type refused, as
    PyTorch's. There is one device, so the type names no other."""
    warnings.warn("set_default_tensor_type() is deprecated (as PyTorch's, since 2.1); use "
                  "tg.set_default_dtype() and tg.set_default_device() instead", UserWarning,
                  stacklevel=user_stacklevel())
    name = t if isinstance(t, str) else f"{t.__module__}.{t.__name__}" \
        if isinstance(t, type) and not isinstance(t, _LegacyType) else None
    legacy = t if isinstance(t, _LegacyType) else None
    if name is not None and name.count(".") <= 1 and name.partition(".")[0] in (
            "torch", "tinygrad_gd", name):  # (not torch.cuda.FloatTensor's device)
        legacy = getattr(legacy_types, name.rpartition(".")[2], None)
    if not isinstance(legacy, _LegacyType):
        raise TypeError(f"set_default_tensor_type: expected a tensor type such as "
                        f"tg.FloatTensor or 'torch.DoubleTensor', got {shown(t)}")
    if legacy.dtype.kind != "f":
        raise TypeError(f"set_default_tensor_type: only floating-point types are supported "
                        f"as the default type, got {legacy.__name__}")
    set_default_dtype(legacy.dtype)

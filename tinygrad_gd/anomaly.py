"""Anomaly mode: the first op whose forward or backward makes NaN or Inf raises, named.

Inside `with tg.detect_anomaly():` (or a function decorated with it, or after
`tg.autograd.set_detect_anomaly(True)`) every op also notes the line of user code that
created it, and keeps a copy of what it saved for backward, so that `backward()`
refuses a graph whose saved values changed by any route, even writes the version
counter cannot see (`check_nan=False`: only that, no NaN/Inf check). It joins the engine
as an extension, on while the mode is on in any thread or a node recorded under it
still holds copies to compare, and switched off by the first call that finds neither
(other threads' ops are not checked).
"""
from __future__ import annotations

import os
import threading
import traceback
import weakref
from typing import Any, Sequence

import numpy as np

from .engine import Extension, Function, switch
from .grad_mode import ContextDecorator, check_flag

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "AnomalyError"]


class AnomalyError(FloatingPointError, RuntimeError):
    """Raised under `detect_anomaly()` by the first op that produces NaN or Inf: a
    FloatingPointError, and a RuntimeError as PyTorch's error there is.

    `.node` is the op (graph node), `.inputs` its input tensors and `.phase` "forward"
    or "backward": `tg.draw_anomaly(error)` draws the graph with the culprit marked.
    """

    def __init__(self, message: str, node: Function | None = None,
                 inputs: Sequence[Any] = (), phase: str | None = None) -> None:
        super().__init__(message)
        self.node = node
        self.inputs = tuple(inputs)
        self.phase = phase


class _Active(threading.local):
    on = False  # anomaly mode in this thread
    check_nan = True  # results checked for NaN and Inf (detect_anomaly(check_nan=False): not)


_active = _Active()
_open_blocks = [0]  # threads with anomaly mode on
_copying = weakref.WeakValueDictionary()  # id -> live node holding copies of its saved arrays
_switching = threading.Lock()  # the mode's switching on and off, and the extension's off


def _set_mode(on: bool, check_nan: bool) -> None:
    """Anomaly mode on or off in this thread (the extension on while any thread has it)."""
    with _switching:
        _open_blocks[0] += int(on) - int(_active.on)
        _active.on, _active.check_nan = on, check_nan
        if on:
            switch(_checks)
    if not on:
        _switch_off_unless_needed()  # unless a graph recorded in it still holds copies


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on in this thread (PyTorch's torch.is_anomaly_enabled)."""
    return _active.on


def _switch_off_unless_needed() -> None:
    with _switching:
        if not _open_blocks[0] and not _copying:
            switch(_checks, on=False)


class AnomalyChecks(Extension):
    """Checks every result for NaN and Inf, and every saved array byte for byte."""

    def applied(self, node: Function, inputs: tuple, output: Any) -> None:
        if not _active.on:
            if not _open_blocks[0] and not _copying:
                _switch_off_unless_needed()
            return
        node.created_at = _user_frame()
        if _active.check_nan:
            _check_finite(output._data, "forward", node, inputs)
        if node.parents and node.saved_tensors:
            node.saved_snapshots = tuple(a.tobytes() if isinstance(a, np.ndarray) else None
                                         for a in node.saved_tensors)
            _copying[id(node)] = node

    def before_backward(self, node: Function) -> None:
        if node.saved_snapshots is not None:
            _check_snapshots(node)

    def after_backward(self, node: Function, grad: np.ndarray, input_grads: tuple) -> None:
        if node.saved_tensors is None and node.saved_snapshots is not None:
            node.saved_snapshots = None  # freed with the arrays they copy
            _copying.pop(id(node), None)
        if _active.on and _active.check_nan:
            for g in input_grads:
                if g is not None:
                    _check_finite(getattr(g, "_data", g), "backward", node, node.parents)


_checks = AnomalyChecks()


class detect_anomaly(ContextDecorator):
    """Within this block (or a function decorated with it) the first op whose forward or
    backward produces NaN or Inf raises.

    The error names the op and the line of user code that created it. Ops recorded in
    the block also keep a copy of what they saved for backward, and `backward()` refuses
    a graph whose saved values changed by any route, even writes the version counter
    cannot see (through `np.asarray(t.data)`, `t.data.view(np.ndarray)` or an array
    that shares the memory; outside the block every write through `t.data`, `t[...] = v`,
    assigning `.data` and optimizer steps are caught). Checking every result costs time
    and memory: use it to debug, not to train. `check_nan=False` (PyTorch's) keeps the
    lines and the saved-value check and checks no result for NaN or Inf.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_flag("detect_anomaly", "check_nan", check_nan)
        self._previous: list[tuple[bool, bool]] = []  # (one per open `with`: it may nest)

    def __enter__(self) -> "detect_anomaly":
        self._previous.append((_active.on, _active.check_nan))
        _set_mode(True, self.check_nan)
        return self

    def __exit__(self, *exc: object) -> None:
        _set_mode(*self._previous.pop())

    def _again(self) -> "detect_anomaly":
        return detect_anomaly(self.check_nan)


class set_detect_anomaly:
    """Anomaly mode on or off as `mode` says (PyTorch's torch.autograd.set_detect_anomaly):
    called alone, `tg.autograd.set_detect_anomaly(True)` switches this thread's mode; as
    `with tg.autograd.set_detect_anomaly(debugging):`, only inside."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        on = check_flag("set_detect_anomaly", "mode", mode)
        check_nan = check_flag("set_detect_anomaly", "check_nan", check_nan)
        self._previous = (_active.on, _active.check_nan)
        _set_mode(on, check_nan)

    def __enter__(self) -> None:
        pass  # switched already, when made

    def __exit__(self, *exc: object) -> None:
        _set_mode(*self._previous)


def _user_frame() -> str:
    """The innermost stack frame outside this package: where the user called the op."""
    package_dir = os.path.dirname(__file__) + os.sep  # (not a sibling such as tinygrad_gd_out)
    for frame in reversed(traceback.extract_stack()):
        if not frame.filename.startswith(package_dir):
            return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}: {frame.line}'
    return "<unknown>"


Function.created_at = None  # where the user created the node: set under detect_anomaly()


def _created_at(node: Function) -> str:
    return node.created_at or ("unknown: the op ran outside detect_anomaly(); run the "
                               "forward pass inside the block too to see its line")
Function.saved_snapshots = None  # copies of the saved arrays: set under detect_anomaly()


def _check_finite(array: np.ndarray, what: str, node: Function, inputs: Sequence[Any]) -> None:
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        bad = "NaN" if np.isnan(array).any() else "Inf"
        raise AnomalyError(
            f"detect_anomaly: {what} of op '{node.name}' produced {bad} "
            f"(output shape {array.shape}). The op was created at: {_created_at(node)}",
            node=node, inputs=inputs, phase=what)


def _check_snapshots(node: Function) -> None:
    """Each saved array must hold the bytes it held in forward."""
    for position, (array, snapshot) in enumerate(zip(node.saved_tensors, node.saved_snapshots)):
        if snapshot is None or array.tobytes() == snapshot:
            continue
        owner = next((i for i, p in enumerate(node.parents)
                      if np.may_share_memory(p._data, array)), None)
        if owner is None:
            what = f"array {position} it saved (shape {array.shape})"
        else:
            parent = node.parents[owner]
            name = f"'{parent.name}' " if parent.name else ""
            what = f"input {owner} {name}(shape {parent.shape})"
        raise RuntimeError(
            f"backward(): {what} of op '{node.name}' was changed in place after the op used "
            f"it, by a write the version counter cannot see (through np.asarray(t.data), "
            f"t.data.view(np.ndarray) or another array sharing the memory); detect_anomaly() "
            f"compared the values. The op was created at: {_created_at(node)}. Change values "
            f"after backward(), and write through t.data itself (`t.data[...] = v`, "
            f"`w.data -= ...`) or t[...] = v, which are counted and caught without "
            f"detect_anomaly()")

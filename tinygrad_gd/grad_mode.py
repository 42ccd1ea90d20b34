"""Grad mode: whether ops record the graph, per thread (`no_grad`, `enable_grad`, and
PyTorch's `set_grad_enabled` and `inference_mode`), and `ContextDecorator`, what makes
each of them (and `detect_anomaly`) a decorator too.

Below the engine: `Function.apply` asks `is_grad_enabled()` before recording a node.
What makes a tensor made inside `inference_mode()` an inference tensor is inference.py's,
above the engine: it sets `inference_blocks` here, which each `inference_mode()` block
calls as it opens and closes.

Also `check_flag`, the package's one check of a True-or-False argument (`keepdim`,
`replacement`, `three_phase`, ...), which refuses a string such as "False" (truthy) with
a TypeError; it lives here, in a module that imports nothing of the package, so that any
module can use it without an import cycle.
"""
from __future__ import annotations

import functools
import inspect
import threading
from typing import Any, Callable

import numpy as np

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]


class _GradMode(threading.local):
    enabled = True  # per thread: one thread's no_grad() does not stop another's recording
    inference = False  # inside an inference_mode() block (is_inference_mode_enabled)


_grad_mode = _GradMode()
# inference.py's count of open inference_mode() blocks, in any thread: called with 1 as one
# opens, -1 as it closes (set there once imported; None before)
inference_blocks: Callable[[int], None] | None = None


def check_flag(where: str, name: str, value: Any) -> bool:
    """`value` as a bool, when it is True or False: bool("False") would be True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be True or False, got {type(value).__name__} "
                        f"{value!r:.40}")
    return bool(value)


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default); False inside `no_grad()`."""
    return _grad_mode.enabled


class ContextDecorator:
    """A context manager that is a decorator too, with or without (): `@tg.no_grad()`,
    `@tg.no_grad`. A subclass defines `__enter__` and `__exit__`, and `_again` when its
    constructor takes arguments (a fresh one per call: calls may nest, or run in threads)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            if len(args) == 1 and not kwargs and callable(args[0]):  # (without (): PyTorch's)
                return cls()(args[0])
            if cls.__init__ is object.__init__:  # (which would ignore them)
                given = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
                raise TypeError(f"{cls.__name__}() takes no arguments, got {given:.60}: "
                                f"write `with {cls.__name__}():` or decorate a function with it")
        return super().__new__(cls)

    def __call__(self, fn: Callable) -> Callable:
        if inspect.isgeneratorfunction(fn):
            return self._around_each_step(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._again():  # a fresh one per call: calls may nest, or run in threads
                return fn(*args, **kwargs)
        return wrapper

    def _around_each_step(self, fn: Callable) -> Callable:
        """A generator function's mode holds while its body runs, step by step (its code
        runs at each next(), after the call that made the generator has returned)."""
        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Any:
            steps = fn(*args, **kwargs)
            resume, value = steps.send, None
            while True:
                with self._again():
                    try:
                        result = resume(value)
                    except StopIteration as stop:
                        return stop.value
                try:
                    resume, value = steps.send, (yield result)
                except GeneratorExit:
                    steps.close()
                    raise
                except BaseException as err:  # thrown in: passed on to the body
                    resume, value = steps.throw, err
        return generator

    def _again(self) -> Any:
        return type(self)()


class _SetGradMode(ContextDecorator):
    enabled: bool

    def __enter__(self) -> None:
        self._previous, _grad_mode.enabled = _grad_mode.enabled, self.enabled

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self._previous


class no_grad(_SetGradMode):
    """Record nothing: ops inside compute values only (evaluation, weight updates).

    Use as `with tg.no_grad(): ...` or as a decorator `@tg.no_grad()`.
    """

    enabled = False


class enable_grad(_SetGradMode):
    """Record the graph again inside a `no_grad()` block."""

    enabled = True


class set_grad_enabled(_SetGradMode):
    """Record the graph or not, as `mode` says (PyTorch's set_grad_enabled): called alone,
    `tg.set_grad_enabled(False)` switches this thread's mode; as `with
    tg.set_grad_enabled(is_training):` or a decorator, only inside."""

    def __init__(self, mode: bool) -> None:
        self.enabled = check_flag("set_grad_enabled", "mode", mode)
        self._previous, _grad_mode.enabled = _grad_mode.enabled, self.enabled

    def __enter__(self) -> None:
        pass  # switched already, when made

    def __call__(self, fn: Callable) -> Callable:
        _grad_mode.enabled = self._previous  # a decorator switches only around its calls
        return super().__call__(fn)

    def _again(self) -> "set_grad_enabled":
        return set_grad_enabled(self.enabled)


class inference_mode(_SetGradMode):
    """PyTorch's inference_mode: nothing is recorded inside (as under `no_grad()`, and
    under an `enable_grad()` within it too), and every tensor made inside is an inference
    tensor (`t.is_inference()`; a view of an ordinary tensor stays ordinary). Outside, an
    op that keeps an inference tensor for backward refuses it, and so does a change of one
    in place (inference.py). `inference_mode(False)`: the ordinary mode, inside one too."""

    def __init__(self, mode: bool = True) -> None:
        self.enabled = not check_flag("inference_mode", "mode", mode)  # ("x" would be True)

    def __enter__(self) -> None:
        super().__enter__()
        self._inference_before, _grad_mode.inference = _grad_mode.inference, not self.enabled
        self._counted = not self.enabled and inference_blocks is not None
        if self._counted:
            inference_blocks(1)

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        _grad_mode.inference = self._inference_before
        if self._counted:
            inference_blocks(-1)

    def _again(self) -> "inference_mode":
        return inference_mode(not self.enabled)


def is_inference_mode_enabled() -> bool:
    """Whether an `inference_mode()` block is open in this thread (PyTorch's): True inside
    one, under an enable_grad() or no_grad() within it too; False inside
    `inference_mode(False)` and outside."""
    return _grad_mode.inference

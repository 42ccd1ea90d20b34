"""How the command line ends when it cannot go on: a Ctrl-C (exit 130), its output pipe
closed early (`| head`: 141, silently), its standard output unwritable (a full disk under
`> file`, /dev/full: 1, one line). `cli.main` uses these; none prints a traceback.
"""
from __future__ import annotations

import os
import sys
from typing import IO, Any

__all__ = ["GuardedOutput", "OutputFailed"]

_interrupted = [False]  # set by the SIGINT handler: an interrupt swallowed anywhere still counts


def _on_interrupt(signum: int, frame: Any) -> None:
    _interrupted[0] = True
    raise KeyboardInterrupt


def _quiet_interrupt(unraisable: Any) -> None:
    """A Ctrl-C that landed in a finalizer or weakref callback, where Python cannot raise
    it: `_interrupted` has counted it (main raises it again); print no "Exception ignored"."""
    if not isinstance(unraisable.exc_value, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)


def _stop_if_interrupted() -> None:
    """Re-raise a Ctrl-C that something on the way (a child process it also killed, a
    library's broad except) turned into an ordinary error or swallowed."""
    if _interrupted[0]:
        raise KeyboardInterrupt


def _silence_stdout() -> None:
    """After a closed pipe: further output (and the flush at exit) goes nowhere."""
    try:
        descriptor = os.open(os.devnull, os.O_WRONLY)
        os.dup2(descriptor, sys.stdout.fileno())
        os.close(descriptor)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is no real file (captured by a test): nothing will flush to a pipe


class OutputFailed(Exception):
    """Standard output could not be written (not a closed pipe): told apart from the
    errors of the files a command reads and writes, which say their own path."""


class GuardedOutput:
    """sys.stdout while a command runs: a write or flush that fails raises `OutputFailed`
    (after which output goes nowhere); a closed pipe stays a BrokenPipeError."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._guarded(self._stream.write, text)

    def flush(self) -> None:
        self._guarded(self._stream.flush)

    def _guarded(self, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except BrokenPipeError:
            raise
        except OSError as err:
            _silence_stdout()
            raise OutputFailed(err.strerror or str(err)) from None

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding: the stream's own
        return getattr(self._stream, name)

"""What the `tinygrad-gd` command line checks before it runs: its arguments, the paths
it will write and the format `graph` writes (`_output_format`). A bad value is a
`UsageError`: one line on stderr, exit code 2.
"""
from __future__ import annotations

import argparse
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from . import files

__all__ = ["UsageError", "path_argument"]


class UsageError(Exception):
    """Bad command-line input: reported as one line on stderr, exit code 2."""


def _usage(command: str, message: str) -> UsageError:
    return UsageError(f"tinygrad-gd {command}: error: {message}")


class _Parser(argparse.ArgumentParser):
    """argparse, but errors raise UsageError instead of printing usage and exiting;
    `missing`, where set, is said in place of argparse's "the following arguments are
    required", which names the argument but not what to give."""

    missing: str | None = None

    def error(self, message: str) -> None:  # type: ignore[override]
        if self.missing and message.startswith("the following arguments are required"):
            message = self.missing
        raise UsageError(f"{self.prog}: error: {message}")




def _whole_number(low: int, high: int | None = None) -> Any:
    """An argparse type: a whole number in [low, high], every refusal naming both bounds."""
    bounds = f">= {low}" if high is None else f"from {low} to {high}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number {bounds}, got "
                                             f"{text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected a whole number {bounds}, got {value}")
        return value

    return parse


_seed = _whole_number(0, 2**32 - 1)  # what every NumPy generator accepts
_epochs = _whole_number(1)


def path_argument(what: str) -> Any:
    """An argparse type for a path to write (the command line's -o, docs/notebooks.py's
    FOLDER): refuses an empty path (`-o "$OUT"` with OUT unset), which would write to the
    default place (or the current folder) unasked, and `-`, which many tools read as
    standard output but would be a file or folder named `-` here; `what` says what to give."""

    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"the path is empty; give {what}")
        if text == "-":
            raise argparse.ArgumentTypeError(f"'-' names no file (this command writes files, "
                                             f"never standard output); give {what}")
        return text

    return parse


def _data_file(text: str) -> str:
    """--data: a path that, if it exists, is a regular file (a FIFO or /dev/zero would never
    end); a missing file is the network's to report (it says what to pass)."""
    try:
        mode = os.stat(text).st_mode
    except OSError:
        return text
    if stat.S_ISDIR(mode):
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give the path of the CSV file")
    if not stat.S_ISREG(mode):
        raise argparse.ArgumentTypeError(f"{text!r} is {files.kind_of(mode)}, not a data file; "
                                         f"give the path of the CSV file")
    return text


def _try_writing_in(folder: Path) -> None:
    """Raise OSError unless a file can be written in `folder`: tried, not asked of
    os.access, which root passes where writes still fail (a read-only mount)."""
    with tempfile.TemporaryFile(dir=folder):
        pass


def _writable_folder(path: Path, command: str) -> Path:
    """Create the folder if needed and make sure a file can be written in it."""
    if os.path.exists(path) and not path.is_dir():
        raise _usage(command, f"--out {str(path)!r} is {files.kind_of(os.stat(path).st_mode)}, "
                              f"not a folder; pass --out with a folder (a missing one is made)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        _try_writing_in(path)
    except OSError as err:
        raise _usage(command, f"cannot write to the output folder {str(path)!r} "
                              f"({err.strerror or err}); pass --out with a writable "
                              f"folder") from None
    return path


def _writable_file(path: Path, command: str, example: str = "graph.svg") -> Path:
    """`path`, where `-o` may write it (its folder made if missing), or a usage error."""
    folder = path.parent
    try:
        is_folder = path.is_dir()
    except OSError as err:  # (a folder on the way that may not be searched: mode 000)
        raise _usage(command, f"cannot look at {str(path)!r} ({err.strerror or err}); "
                              f"choose another -o path") from None
    if is_folder:
        raise _usage(command, f"the output path {str(path)!r} is a folder; give a file "
                              f"name, e.g. -o {path / example}")
    blocker = files.file_in_the_way(path)
    if blocker is not None:
        raise _usage(command, f"cannot write {str(path)!r}: {str(blocker)!r} is a file, not "
                              f"a folder; choose another -o path")
    try:
        # a FIFO, a device, read-only: refused, never replaced
        files.check_replaceable(path, command)
    except OSError as err:
        said = str(err.strerror or err).removeprefix(f"{command}: ")  # _usage names it
        raise _usage(command, f"{said} (-o)") from None
    # a missing folder is made when the file is written (nothing made where drawing fails),
    # as render_graph and --out make theirs: the folder it is made in must take files
    existing = folder
    while not existing.is_dir():
        existing = existing.parent
    try:
        _try_writing_in(existing)
    except OSError as err:
        what = (f"no file can be made in the folder {str(folder)!r}" if existing == folder
                else f"the folder {str(folder)!r} cannot be made in {str(existing)!r}")
        raise _usage(command, f"cannot write {str(path)!r}: {what} (the system says: "
                              f"{err.strerror or err}); choose another -o path") from None
    return path


def _output_format(given: str | None, output: str | None, steps: bool) -> str:
    """--format, else the format -o's suffix names (`-o loss.png` is a PNG, `-o g.gv` the
    DOT text: the suffixes `render_graph` takes, with the same meaning), else svg. Usage
    errors: a suffix naming no format (`.txt`), or another format than --format (not an
    SVG in a .png), and with --steps (an HTML page) --format or a suffix other than .html."""
    from .graph.formats import PAGE_SUFFIXES, format_of, suffix_help

    if steps:
        if given is not None:
            raise _usage("graph", f"--steps writes an HTML page; drop --format {given} (or "
                                  f"drop --steps to draw one {given} view)")
        if output and Path(output).suffix.lower() not in ("",) + PAGE_SUFFIXES:
            raise _usage("graph", f"--steps writes an HTML page, but -o {output!r} names a "
                                  f"{Path(output).suffix} file; give it the suffix .html")
        return "html"

    suffix = Path(output).suffix if output else ""
    named = format_of(suffix) if suffix else None
    if suffix and named is None:
        raise _usage("graph", f"-o {output!r} names a {suffix} file, which graph cannot "
                              f"write; {suffix_help(suffix, '--steps')}")
    if given is not None and named is not None and named != given:
        raise _usage("graph", f"-o {output!r} names a {suffix} file but --format is {given}; "
                              f"give the file the suffix .{given}, or drop --format")
    return given or named or "svg"

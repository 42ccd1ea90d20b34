"""Weights on disk: `save(module_or_state_dict, path)` and `load(path)`, NumPy's .npz format.

A saved file is an ordinary .npz archive: one array per parameter, stored under the
parameter's dotted name (`0.weight`, `hidden.bias`), after a first marker entry
`__tinygrad_gd_format__` holding [format version, number of entries]. `np.load(path)`
reads it too. The count matters: damage to the zip's directory can hide the entries after
the damaged one without any checksum failing, and the count exposes that.

Two promises:

* Loading never runs code. Arrays are read with `allow_pickle=False`, so a file holding
  pickled objects (the way a malicious file would run code) is refused, not executed.
* Saving is atomic (`tinygrad_gd.files.atomic_write`). The archive is written to a
  temporary file in the same folder, flushed to disk (fsync), its zip directory checked
  to list every entry under its own name, then moved over the target in one step
  (`os.replace`). A crash or an error mid-save leaves the previous file as it was; the
  temporary a killed save leaves is removed by the next save to that path. Names a zip
  cannot keep (a NUL, over 65,531 bytes) are refused before anything is written, and so
  is a target that is a FIFO, a device or a folder; a symbolic link is replaced by the
  file, its target left alone.

A truncated or corrupted file, or a path that is no regular file (a FIFO is never waited
on), raises `LoadError` (naming the file and what to do) before anything is returned, so
`model.load_state_dict(load(path))` either loads every parameter or changes nothing.
"""
from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Mapping, Union

import numpy as np

from .files import atomic_write, kind_of
from .tensor import _raw

if TYPE_CHECKING:
    from .nn.module import Module

__all__ = ["save", "load", "LoadError", "FORMAT_KEY", "FORMAT_VERSION"]

FORMAT_KEY = "__tinygrad_gd_format__"  # the marker entry; save refuses it as a name
FORMAT_VERSION = 1  # raise when the layout changes; load refuses versions it does not know
_MAX_NAME_BYTES = 0xFFFF  # a zip header stores a name's length in two bytes

PathLike = Union[str, os.PathLike]

# Errors a damaged archive can raise from zipfile or NumPy's .npy reader: each means "this
# file cannot be read", and each becomes one LoadError.
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError,
                KeyError, SyntaxError, TypeError, NotImplementedError, OverflowError,
                MemoryError, RuntimeError)  # RuntimeError: a flipped "encrypted" flag


class LoadError(ValueError):
    """`load` could not read a file: damaged, truncated, not saved weights, or unsafe."""


# ---------------------------------------------------------------------------------------
# save


def save(obj: "Module | Mapping[str, Any]", path: PathLike) -> None:
    """Write a module's parameters (or a state dict) to `path` as an .npz archive.

    `obj` is a `Module` (its `state_dict()` is saved) or a mapping of names to arrays or
    Tensors. The file is written exactly at `path` (no suffix is added) and replaces an
    existing file only once it is complete and its directory lists every entry (a
    symbolic link at `path` is replaced by the file, its target left alone; a FIFO, a
    device or a folder there is refused: `tinygrad_gd.files`). Load it with
    `model.load_state_dict(tg.load(path))`.
    """
    arrays = _arrays_to_save(obj)
    atomic_write(path, lambda file: _write_npz(file, arrays), "save",
                 check=lambda temporary: _check_written(temporary, path, arrays))


def _arrays_to_save(obj: Any) -> dict[str, np.ndarray]:
    """The named arrays of a Module or state dict, checked: string names, numeric data."""
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    if not isinstance(obj, Mapping):
        raise TypeError(f"save: expected a Module or a mapping of names to arrays (such as "
                        f"model.state_dict()), got {type(obj).__name__}")
    count = len(obj)
    # the marker goes first: damage that hides later directory entries cannot hide it too
    arrays: dict[str, np.ndarray] = {FORMAT_KEY: np.array([FORMAT_VERSION, count], np.int64)}
    for name, value in obj.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"save: every name must be a non-empty string, got {name!r}")
        _check_name(name)
        if name == FORMAT_KEY:
            raise ValueError(f"save: the name {FORMAT_KEY!r} is reserved for the file's format "
                             f"marker; rename that entry")
        array = np.asarray(_raw(value))
        if array.dtype.kind not in "biuf":
            raise TypeError(f"save: entry {name!r} has dtype {array.dtype}; only numeric arrays "
                            f"can be saved (files that need pickle could run code when loaded)")
        arrays[name] = array
    return arrays


def _check_name(name: str) -> None:
    """A name must come back from the zip directory as it went in."""
    if "\x00" in name:
        raise ValueError(f"save: the name {name!r} holds a NUL character, which a zip archive "
                         f"cannot store (the name would be cut at it); rename that entry")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError(f"save: the name {name!r} is not valid Unicode text (a lone surrogate); "
                         f"rename that entry") from None
    if size + len(".npy") > _MAX_NAME_BYTES:
        raise ValueError(f"save: the name {name[:40]!r}... is {size} bytes long in UTF-8; a zip "
                         f"archive stores names of up to {_MAX_NAME_BYTES - len('.npy')} bytes "
                         f"here; use a shorter name")


def _check_written(temporary: Path, path: PathLike, arrays: Mapping[str, np.ndarray]) -> None:
    """The complete archive lists every entry under its own name, before it replaces anything."""
    expected = [name + ".npy" for name in arrays]
    with zipfile.ZipFile(temporary) as archive:
        found = archive.namelist()
    if found != expected:
        missing = sorted(set(expected) - set(found))[:3]
        raise ValueError(f"save: the archive written for {os.fspath(path)!r} does not list the "
                         f"entries it was given (missing {missing}); nothing was replaced. Check "
                         f"the names of the entries")


def _write_npz(file: IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    """NumPy's .npz layout (an uncompressed zip of .npy files), written entry by entry.

    Written here rather than with np.savez, whose own keyword arguments (`file`,
    `allow_pickle`) would collide with parameters of those names.
    """
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            with zf.open(name + ".npy", mode="w", force_zip64=True) as member:
                _write_entry(member, array)


def _write_entry(member: IO[bytes], array: np.ndarray) -> None:
    np.lib.format.write_array(member, array, allow_pickle=False)


# ---------------------------------------------------------------------------------------
# load


def load(path: PathLike) -> dict[str, np.ndarray]:
    """Read a file written by `save`: a dict {parameter name: array}, in the saved order.

    Every array is read (and its checksum verified) before this returns; pickled data is
    refused, so loading never runs code. Raises `FileNotFoundError` for a missing file and
    `LoadError` for one that is truncated, corrupted, not an .npz of arrays, or written
    by a newer format version. A plain `np.savez` archive of numeric arrays loads too.
    """
    target = os.fspath(path)
    if not os.path.exists(target):
        raise FileNotFoundError(f"load: no file at {target!r}; check the path (saved weights "
                                f"are written by tg.save(model, path))")
    if os.path.isdir(target):
        raise IsADirectoryError(f"load: {target!r} is a folder; give the path of the saved file")
    if not os.access(target, os.R_OK):
        raise PermissionError(f"load: no permission to read {target!r}; change its permissions "
                              f"or copy it somewhere readable")
    with _open_regular_file(target) as file:
        arrays = _read_npz(target, file)
    _check_format(target, arrays.pop(FORMAT_KEY, None), len(arrays))
    return arrays


def _open_regular_file(target: str) -> IO[bytes]:
    """The file opened for reading, or LoadError when it is a FIFO, a device or a socket.

    Opened without blocking (a FIFO with no writer would wait forever), then asked what it
    is: the answer is about the file opened, so no swap between a check and the open fools it.
    """
    try:
        descriptor = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                             | getattr(os, "O_BINARY", 0))
    except OSError as err:
        raise LoadError(f"load: cannot open {target!r} ({err.strerror or err}); check the "
                        f"path and its permissions") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise LoadError(f"load: {target!r} is {kind_of(mode)}, not a file of saved weights; "
                        f"nothing was read. Give the path of a file written by tg.save")
    if hasattr(os, "set_blocking"):
        os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "rb")


def _read_npz(target: str, file: IO[bytes]) -> dict[str, np.ndarray]:
    if not zipfile.is_zipfile(file):
        file.seek(0)
        if file.read(6) == b"\x93NUMPY":
            raise LoadError(f"load: {target!r} is a single .npy array, not an .npz archive of "
                            f"named weights; read it with np.load(path), or save the model's "
                            f"weights with tg.save(model, path)")
        raise LoadError(_damaged(target, "it is not an .npz archive (no zip directory at its end: "
                                         "truncated, or another kind of file)"))
    arrays: dict[str, np.ndarray] = {}
    try:
        file.seek(0)
        with np.load(file, allow_pickle=False) as archive:
            for name in archive.files:
                value = archive[name]  # reads the entry whole: zipfile checks its CRC-32
                if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
                    raise LoadError(f"load: entry {name!r} of {target!r} is not a numeric array "
                                    f"(got {type(value).__name__}); this is not a file "
                                    f"written by tg.save")
                arrays[name] = value
    except LoadError:
        raise
    except ValueError as err:
        if "pickle" in str(err) or "Object arrays" in str(err):
            raise LoadError(f"load: {target!r} holds pickled Python objects, which could run "
                            f"code when loaded, so it was not read; tg.save writes numeric "
                            f"arrays only. Load it only if you trust its source, with "
                            f"np.load(path, allow_pickle=True)") from None
        raise LoadError(_damaged(target, str(err))) from None
    except _READ_ERRORS as err:
        raise LoadError(_damaged(target, f"{type(err).__name__}: {err}")) from None
    return arrays


def _damaged(target: str, reason: str) -> str:
    return (f"load: cannot read {target!r}: {reason}. The file is damaged or incomplete "
            f"(an interrupted copy or download?); nothing was loaded. Save the weights again "
            f"or restore the file from a backup")


def _check_format(target: str, marker: np.ndarray | None, found: int) -> None:
    if marker is None:
        return  # a plain np.savez archive: no version or count to check
    if marker.shape != (2,) or marker.dtype.kind not in "iu":
        raise LoadError(_damaged(target, f"its format marker {FORMAT_KEY!r} is malformed "
                                         f"(shape {marker.shape}, dtype {marker.dtype})"))
    version, count = (int(n) for n in marker)
    if not 1 <= version <= FORMAT_VERSION:
        raise LoadError(f"load: {target!r} has format version {version}, this tinygrad_gd "
                        f"reads versions 1 to {FORMAT_VERSION}; upgrade tinygrad_gd to load it")
    if found != count:
        raise LoadError(_damaged(target, f"it was saved with {count} arrays but {found} can "
                                         f"be found in its zip directory"))

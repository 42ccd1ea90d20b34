"""Weights on disk: `save(module_or_state_dict, path)` and `load(path)`, NumPy's .npz format.

A saved file is an ordinary .npz archive: one array per parameter, stored under the
parameter's dotted name (`0.weight`, `hidden.bias`), after a first marker entry
`__tinygrad_gd_format__` holding [format version, number of entries]. `np.load(path)`
reads it too. The count matters: damage to the zip's directory can hide the entries after
the damaged one without any checksum failing, and the count exposes that.

Two promises:

* Loading never runs code. Arrays are read with `allow_pickle=False`, so a file holding
  pickled objects (the way a malicious file would run code) is refused, not executed.
* Saving is atomic. The archive is written to a temporary file in the same folder, flushed
  to disk (fsync), then moved over the target in one step (`os.replace`). A crash or an
  error mid-save leaves the previous file as it was.

A truncated or corrupted file raises `LoadError` (naming the file and what to do) before
anything is returned, so `model.load_state_dict(load(path))` either loads every
parameter or changes nothing.
"""
from __future__ import annotations

import os
import secrets
import zipfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Mapping, Union

import numpy as np

from .tensor import _raw

if TYPE_CHECKING:
    from .nn.module import Module

__all__ = ["save", "load", "LoadError", "FORMAT_KEY", "FORMAT_VERSION"]

FORMAT_KEY = "__tinygrad_gd_format__"  # the marker entry; save refuses it as a name
FORMAT_VERSION = 1  # raise when the layout changes; load refuses versions it does not know

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
    existing file only once it is complete. Load it with
    `model.load_state_dict(tg.load(path))`.
    """
    arrays = _arrays_to_save(obj)
    target = Path(os.fspath(path))
    folder = target.parent
    if target.is_dir():
        raise IsADirectoryError(f"save: {str(target)!r} is a folder; give a file path such as "
                                f"{str(target / 'model.npz')!r}")
    if not folder.is_dir():
        raise FileNotFoundError(f"save: the folder {str(folder)!r} of {str(target)!r} does not "
                                f"exist; create it first (os.makedirs) or choose another path")
    temporary, descriptor = _open_temporary(target)
    try:
        with os.fdopen(descriptor, "wb") as file:
            _write_npz(file, arrays)
            file.flush()
            os.fsync(file.fileno())  # the bytes are on disk before the name points at them
        os.replace(temporary, target)
    except BaseException:
        # an error, or Ctrl-C: the old file stays, and so must no half-written temporary
        _remove_quietly(temporary)
        raise
    _sync_folder(folder)


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
        if name == FORMAT_KEY:
            raise ValueError(f"save: the name {FORMAT_KEY!r} is reserved for the file's format "
                             f"marker; rename that entry")
        array = np.asarray(_raw(value))
        if array.dtype.kind not in "biuf":
            raise TypeError(f"save: entry {name!r} has dtype {array.dtype}; only numeric arrays "
                            f"can be saved (files that need pickle could run code when loaded)")
        arrays[name] = array
    return arrays


def _open_temporary(target: Path) -> tuple[Path, int]:
    """A new file beside `target`: same folder, so os.replace is a rename, never a copy."""
    path = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        # 0o666 minus the umask: the saved file gets the permissions a plain open() gives
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as err:
        raise type(err)(err.errno, f"save: cannot write in the folder {str(target.parent)!r} "
                                   f"({err.strerror}); choose a writable path") from None
    return path, descriptor


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


def _remove_quietly(path: Path) -> None:
    try:
        os.remove(path)
    except OSError:
        pass  # already gone, or the folder vanished: nothing left to clean


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for the new name too (POSIX); a no-op where unsupported."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open folders; its rename is durable enough
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some filesystems refuse fsync on a folder; the file itself is synced
    finally:
        os.close(descriptor)


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
    arrays = _read_npz(target)
    _check_format(target, arrays.pop(FORMAT_KEY, None), len(arrays))
    return arrays


def _read_npz(target: str) -> dict[str, np.ndarray]:
    if not zipfile.is_zipfile(target):
        if _starts_with(target, b"\x93NUMPY"):
            raise LoadError(f"load: {target!r} is a single .npy array, not an .npz archive of "
                            f"named weights; read it with np.load(path), or save the model's "
                            f"weights with tg.save(model, path)")
        raise LoadError(_damaged(target, "it is not an .npz archive (no zip directory at its end: "
                                         "truncated, or another kind of file)"))
    arrays: dict[str, np.ndarray] = {}
    try:
        with np.load(target, allow_pickle=False) as archive:
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


def _starts_with(target: str, prefix: bytes) -> bool:
    with open(target, "rb") as file:
        return file.read(len(prefix)) == prefix


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

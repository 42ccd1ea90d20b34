"""Weights on disk: `save(module_or_state_dict, path)` and `load(path)`, NumPy's .npz format.

A saved file is an ordinary .npz archive: one array per parameter, stored under the
parameter's dotted name (`0.weight`, `hidden.bias`), after a first marker entry
`__tinygrad_gd_format__` holding [format version, number of entries]. `np.load(path)`
reads it too. The count matters: damage to the zip's directory can hide the entries after
the damaged one without any checksum failing, and the count exposes that.

A checkpoint in PyTorch's manner saves too: `save({"model": model.state_dict(), "optim":
optimizer.state_dict(), "epoch": 3}, path)`, any nesting of dicts (string or int keys),
lists and tuples holding arrays, Tensors, numbers, strings and None. Such a file (format
version 2) keeps each array as an entry named by its path (`model/0.weight`) and, as its
second entry `__tinygrad_gd_structure__`, the structure as JSON text (bytes in a uint8
array); `load` rebuilds it exactly: the same dicts, lists, tuples, numbers and strings,
arrays and Tensors as ndarrays. Nothing else is kept (no pickle: loading runs no code).
A dict of arrays (or Tensors) alone, a `state_dict()`, is written as version 1, as
before; a dict holding anything else (a number, a tuple, a list) is a checkpoint, so
each value comes back as it was.

Two promises:

* Loading never runs code. Arrays are read with `allow_pickle=False`, so a file holding
  pickled objects (the way a malicious file would run code) is refused, not executed.
* Saving is atomic (`tinygrad_gd.files.atomic_write`). The archive is written to a
  temporary file in the same folder, flushed to disk (fsync), its zip directory checked
  to list every entry under its own name, then moved over the target in one step
  (`os.replace`). A crash or an error mid-save leaves the previous file as it was; the
  temporary a killed save leaves is removed by the next save to that path. Names a zip
  cannot keep (a NUL, over 65,531 bytes) are refused before anything is written, and so
  is a target that is a FIFO, a device or a folder, a link to one, or a link through
  /proc (/dev/stdout); a symbolic link to a file (or to nothing) is replaced by the
  file, its target left alone.

A truncated or corrupted file, or a path that is no regular file (a FIFO is never waited
on), raises `LoadError` (naming the file and what to do) before anything is returned, so
`model.load_state_dict(load(path))` either loads every parameter or changes nothing.
"""
from __future__ import annotations

import json
import os
import stat
import tokenize
import zipfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Mapping, Union

import numpy as np

from .files import as_path, atomic_write, kind_of
from .tensor import Tensor, _raw

if TYPE_CHECKING:
    from .nn.module import Module

__all__ = ["save", "load", "LoadError", "FORMAT_KEY", "FORMAT_VERSION", "STRUCTURE_KEY"]

FORMAT_KEY = "__tinygrad_gd_format__"  # the marker entry; save refuses it as a name
STRUCTURE_KEY = "__tinygrad_gd_structure__"  # a checkpoint's structure, JSON text as uint8
# raise when the layout changes; load refuses versions it does not know.
# 1: named arrays (a state_dict); 2: arrays and a structure (a nested checkpoint)
FORMAT_VERSION = 2
_MAX_NAME_BYTES = 0xFFFF  # a zip header stores a name's length in two bytes

PathLike = Union[str, os.PathLike]

# Errors a damaged archive can raise from zipfile or NumPy's .npy reader: each means "this
# file cannot be read", and each becomes one LoadError.
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError,
                KeyError, SyntaxError, TypeError, NotImplementedError, OverflowError,
                MemoryError, RuntimeError,  # RuntimeError: a flipped "encrypted" flag
                tokenize.TokenError)  # a .npy header NumPy cannot tokenize
# deflate expands at most 1032 to 1: an entry declaring more is damaged or hostile (a
# "zip bomb" of a few KB asking for GBs); tg.save writes entries stored, uncompressed
_DEFLATE_LIMIT = 1032
_MAX_DEPTH = 100  # a checkpoint's nesting, at most: deeper ones meet Python's recursion limit


class LoadError(ValueError):
    """`load` could not read a file: damaged, truncated, not saved weights, or unsafe."""


# ---------------------------------------------------------------------------------------
# save


def save(obj: "Module | Mapping[str, Any]", path: PathLike) -> None:
    """Write a module's parameters (or a state dict, or a checkpoint) to `path` as an .npz.

    `obj` is a `Module` or an optimizer (its `state_dict()` is saved), a mapping of names
    to arrays or Tensors, or a checkpoint: a dict nesting dicts (string or int keys),
    lists and tuples of arrays, Tensors, numbers, strings and None, such as
    `{"model": model.state_dict(), "optim": optimizer.state_dict(), "epoch": 3}`. The
    file is written exactly at `path` (no suffix is added) and replaces an existing file
    only once it is complete and its directory lists every entry (a symbolic link to a
    file at `path` is replaced by the file, its target left alone; a FIFO, a device or a
    folder there, or a link to one or through /proc, is refused: `tinygrad_gd.files`). Load it with
    `model.load_state_dict(tg.load(path))`, a checkpoint with `checkpoint = tg.load(path)`
    and `optimizer.load_state_dict(checkpoint["optim"])`.
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
                        f"model.state_dict()) or a checkpoint dict, got {type(obj).__name__}")
    if not all(_is_array_data(value) and isinstance(name, str) and name
               for name, value in obj.items()):
        return _Checkpoint().arrays_of(obj)  # a number, a tuple, an int or empty key: kept
    count = len(obj)
    # the marker goes first: damage that hides later directory entries cannot hide it too
    arrays: dict[str, np.ndarray] = {FORMAT_KEY: np.array([1, count], np.int64)}
    for name, value in obj.items():
        _check_name(name)
        if name == FORMAT_KEY:
            raise ValueError(f"save: the name {FORMAT_KEY!r} is reserved for the file's format "
                             f"marker; rename that entry")
        arrays[name] = _numeric(value, name)
    return arrays


def _numeric(value: Any, name: str) -> np.ndarray:
    array = np.asarray(_raw(value))
    if array.dtype.kind not in "biuf":
        why = ("files that need pickle could run code when loaded" if array.dtype.kind == "O"
               else "bool, integers and real floats")
        raise TypeError(f"save: entry {name!r} has dtype {array.dtype}; only numeric arrays "
                        f"can be saved ({why})")
    return array


def _is_array_data(value: Any) -> bool:
    """Saved as one array (a state_dict's entry): an ndarray or a Tensor. Anything else
    (a number, a tuple, a list of arrays) makes the dict a checkpoint, which keeps its
    type: written as an array, `(0.9, 0.999)` or an epoch's `3` came back as one."""
    return isinstance(value, (np.ndarray, Tensor))


class _Checkpoint:
    """A nested checkpoint as named arrays and a JSON structure whose leaves name them:
    ["a", entry] an array, ["n", entry] a NumPy scalar, ["v", value] a Python number,
    string, bool or None, ["d", [[key, node], ...]] a dict, ["l", [...]] a list,
    ["t", [...]] a tuple."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.open: set[int] = set()  # the containers being walked (a cycle is refused)

    def arrays_of(self, obj: Mapping) -> dict[str, np.ndarray]:
        structure = json.dumps(self.node(obj, []), ensure_ascii=True, allow_nan=True)
        count = len(self.arrays) + 1
        return {FORMAT_KEY: np.array([2, count], np.int64),
                STRUCTURE_KEY: np.frombuffer(structure.encode("ascii"), np.uint8),
                **self.arrays}

    def node(self, value: Any, path: list) -> list:
        where = "/".join(str(k) for k in path)
        if len(path) > _MAX_DEPTH:
            raise ValueError(f"save: entry {where[:80]!r}... is nested deeper than "
                             f"{_MAX_DEPTH} levels; a checkpoint that deep is refused (load "
                             f"would refuse it too): flatten it")
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4000:
            raise ValueError(f"save: entry {where!r} is an integer of {value.bit_length()} "
                             f"bits, more than the file's JSON text keeps; save str(value)")
        if isinstance(value, (np.ndarray, Tensor)):
            return ["a", self.add(_numeric(value, where), path)]
        if isinstance(value, np.generic):
            return ["n", self.add(_numeric(value, where), path)]
        if value is None or isinstance(value, (bool, int, float, str)):
            return ["v", value]  # JSON keeps each exactly (floats by their repr)
        if not isinstance(value, (Mapping, list, tuple)):
            raise TypeError(f"save: entry {where!r} is of type {type(value).__name__}; tg.save "
                            f"keeps arrays, Tensors, numbers, strings, None and dicts, lists and "
                            f"tuples of them (no pickle, so loading runs no code)")
        if id(value) in self.open:
            raise ValueError(f"save: entry {where!r} contains itself; a checkpoint must be a "
                             f"tree of dicts, lists and tuples")
        self.open.add(id(value))
        try:
            if isinstance(value, Mapping):
                return ["d", [[key, self.node(item, path + [key])]
                              for key, item in ((_key(k, where), v) for k, v in value.items())]]
            return ["t" if isinstance(value, tuple) else "l",
                    [self.node(item, path + [i]) for i, item in enumerate(value)]]
        finally:
            self.open.discard(id(value))

    def add(self, array: np.ndarray, path: list) -> str:
        """The array's entry: named by its path (`model/0.weight`), or a number if the
        path cannot be a name or is taken."""
        name = "/".join(str(k) for k in path)
        if not name or name in self.arrays or name in (FORMAT_KEY, STRUCTURE_KEY) \
                or not _name_fits(name):
            name = next(f"#{i}" for i in range(len(self.arrays) + 1)
                        if f"#{i}" not in self.arrays)
        self.arrays[name] = array
        return name


def _key(key: Any, where: str) -> str | int:
    if isinstance(key, np.integer):
        return int(key)
    if isinstance(key, int) and not isinstance(key, bool) and key.bit_length() > 4000:
        raise ValueError(f"save: a key in entry {where or '(the dict saved)'!r} is an integer "
                         f"of {key.bit_length()} bits, more than the file's JSON text keeps")
    if isinstance(key, bool) or not isinstance(key, (str, int)):
        raise TypeError(f"save: key {key!r} in entry {where or '(the dict saved)'!r} is of "
                        f"type {type(key).__name__}; a checkpoint's keys must be strings or ints")
    return key


def _name_fits(name: str) -> bool:
    try:
        return "\x00" not in name and len(name.encode("utf-8")) + 4 <= _MAX_NAME_BYTES
    except UnicodeEncodeError:
        return False


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


def load(path: PathLike, map_location: Any = None, *,
         weights_only: bool | None = None) -> dict[str, Any]:
    """Read a file written by `save`: a dict {parameter name: array}, in the saved order,
    or the checkpoint saved, rebuilt exactly (its dicts, lists, tuples, numbers, strings
    and None as they were; arrays and Tensors as ndarrays).

    Every array is read (and its checksum verified) before this returns; pickled data is
    refused, so loading never runs code. Raises `FileNotFoundError` for a missing file and
    `LoadError` for one that is truncated, corrupted, not an .npz of arrays, or written
    by a newer format version. A plain `np.savez` archive of numeric arrays loads too.

    PyTorch's `map_location=None` or `"cpu"` and `weights_only=` (True or False) are
    accepted, so `torch.load`'s lines work; they change nothing: the arrays are on the CPU,
    and no code is ever run, whatever weights_only says.
    """
    if map_location is not None and str(map_location) != "cpu":  # (torch.device("cpu") too)
        raise ValueError(f"load: map_location={map_location!r} is not supported; arrays here "
                         f"are on the CPU: give None or 'cpu'")
    if weights_only is not None and not isinstance(weights_only, bool):
        raise TypeError(f"load: weights_only must be True or False, got {weights_only!r}")
    target = str(as_path(path, "load", "model.npz"))
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
    marker = arrays.pop(FORMAT_KEY, None)
    _check_format(target, marker, len(arrays))
    if marker is not None and int(marker[0]) == 2:
        return _rebuild(target, arrays)
    return arrays


class _Malformed(Exception):
    """A checkpoint's structure does not describe its arrays."""


def _rebuild(target: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The checkpoint a version-2 file's structure describes, each array used once."""
    text = arrays.pop(STRUCTURE_KEY, None)
    used: set[str] = set()

    def entry(name: Any) -> np.ndarray:
        if not isinstance(name, str) or name not in arrays or name in used:
            raise _Malformed(f"it names the array {name!r}, which it has not (or twice)")
        used.add(name)
        return arrays[name]

    def build(node: Any, depth: int = 0) -> Any:
        if not isinstance(node, list) or len(node) != 2:
            raise _Malformed(f"a node {str(node)[:40]} is not [kind, value]")
        if depth > _MAX_DEPTH + 1:  # (save refuses deeper: a deeper file was not its)
            raise _Malformed(f"it is nested deeper than {_MAX_DEPTH} levels")
        kind, body = node
        if kind == "a":
            return entry(body)
        if kind == "n" and entry(body).ndim == 0:
            return arrays[body][()]
        if kind == "v" and (body is None or isinstance(body, (bool, int, float, str))):
            return body
        if kind == "d" and isinstance(body, list) and all(
                isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int))
                and not isinstance(item[0], bool) for item in body):
            if len({key for key, _ in body}) != len(body):
                raise _Malformed("a dict in it names a key twice")
            return {key: build(value, depth + 1) for key, value in body}
        if kind in ("l", "t") and isinstance(body, list):
            items = [build(value, depth + 1) for value in body]
            return tuple(items) if kind == "t" else items
        raise _Malformed(f"a node of kind {str(kind)[:20]!r} is malformed")

    try:
        if text is None or text.dtype != np.uint8 or text.ndim != 1:
            raise _Malformed(f"its structure entry {STRUCTURE_KEY!r} is missing or malformed")
        result = build(json.loads(text.tobytes().decode("ascii")))
        if not isinstance(result, dict) or used != set(arrays):
            raise _Malformed("its structure does not describe its arrays")
    except (_Malformed, ValueError, RecursionError) as err:  # (JSON's errors are ValueErrors)
        raise LoadError(_damaged(target, f"its checkpoint structure cannot be read ({err})")) \
            from None
    return result


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
        file.seek(0)
        if file.read(1) == b"\x80":  # a pickle's first byte (protocol 2 and later)
            raise LoadError(f"load: {target!r} is a Python pickle (pickle.dump, or an old "
                            f"torch.save), which tg.load never reads: loading a pickle can run "
                            f"code. Load it with the program that wrote it and save its arrays "
                            f"with tg.save or np.savez")
        raise LoadError(_damaged(target, "it is not an .npz archive (no zip directory at its end: "
                                         "truncated, or another kind of file)"))
    arrays: dict[str, np.ndarray] = {}
    try:
        _check_members(target, file)
        file.seek(0)
        with np.load(file, allow_pickle=False) as archive:
            for name in archive.files:
                value = archive[name]  # reads the entry whole: zipfile checks its CRC-32
                if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
                    got = (f"dtype {value.dtype}" if isinstance(value, np.ndarray)
                           else type(value).__name__)
                    raise LoadError(f"load: entry {name!r} of {target!r} is not an array of "
                                    f"bool, integers or real floats (got {got}); tg.load reads "
                                    f"only those, as tg.save writes them")
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


def _check_members(target: str, file: IO[bytes]) -> None:
    """The zip directory, before any entry is read: each name once, each entry stored or
    deflated, and none declaring more bytes than its compressed size can hold."""
    file.seek(0)
    with zipfile.ZipFile(file) as archive:
        members = archive.infolist()
    names = [m.filename for m in members]
    if any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
        raise LoadError(f"load: {target!r} was written by torch.save (a zip holding a pickle), "
                        f"which tg.load never reads: loading a pickle can run code. Load it "
                        f"with torch.load and save its arrays with tg.save or np.savez")
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        raise LoadError(_damaged(target, f"it lists the entry {twice!r} twice (appended to?)"))
    for m in members:
        if m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise LoadError(f"load: entry {m.filename!r} of {target!r} is compressed with "
                            f"method {m.compress_type}, which tg.save and np.savez never use; "
                            f"this is not a file of saved weights")
        limit = m.compress_size if m.compress_type == zipfile.ZIP_STORED else \
            _DEFLATE_LIMIT * m.compress_size + 1024
        if m.file_size > limit:
            raise LoadError(_damaged(target, f"its entry {m.filename!r} declares "
                                             f"{m.file_size:,} bytes from {m.compress_size:,}, "
                                             f"more than its compression can hold"))


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

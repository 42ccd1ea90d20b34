"""Reading a file `tg.save` wrote, with every check `tg.load` makes before it returns:
the format's marker (version and count), the zip directory (each entry named once, stored
or deflated, none declaring more bytes than it can hold), pickles refused, each entry's
checksum; `LoadError` for each failure. `tinygrad_gd.serialization` describes the format.

A source is a path (opened without blocking, and refused unless it is a regular file) or
a binary file object, as torch.load takes: read from its current position, and left just
past the archive that starts there, found by the end record of its zip directory, so that
archives saved one after another into one file object load back one by one. Every
message names the source: the path's repr, or "the file object <...>".
"""
from __future__ import annotations

import io
import os
import stat
import struct
import tokenize
import zipfile
from typing import IO, Any

import numpy as np

from .files import kind_of, short_repr
from .memory import pytorch_strides, restrided, row_by_row
from .memory_formats import in_saved_strides, saved_strides

__all__ = ["LoadError", "FORMAT_KEY", "FORMAT_VERSION", "STRUCTURE_KEY", "read_path",
           "read_file_object", "check_file_object", "describe_file_object", "damaged",
           "check_format", "archive_length", "layout_comment"]

FORMAT_KEY = "__tinygrad_gd_format__"  # the marker entry; save refuses it as a name
STRUCTURE_KEY = "__tinygrad_gd_structure__"  # a checkpoint's structure, JSON text as uint8
# raise when the layout changes; load refuses versions it does not know.
# 1: named arrays (a state_dict); 2: arrays and a structure (a nested checkpoint);
# 3: a whole model, its state dict's arrays and its pickle (serialization_model.py)
FORMAT_VERSION = 3

# an entry's zip comment, where its array's strides are not row by row: this, then the
# strides in entries ("tinygrad_gd strides 1 3"), as torch.save keeps a tensor's; np.load
# reads no comments, so the entry holds the values row by row for it (and for a reader of
# earlier versions, which gets them so)
_STRIDES = b"tinygrad_gd strides "

# Errors a damaged archive can raise from zipfile or NumPy's .npy reader: each means "this
# file cannot be read", and each becomes one LoadError.
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError,
                KeyError, SyntaxError, TypeError, NotImplementedError, OverflowError,
                MemoryError, RuntimeError,  # RuntimeError: a flipped "encrypted" flag
                tokenize.TokenError)  # a .npy header NumPy cannot tokenize
# deflate expands at most 1032 to 1: an entry declaring more is damaged or hostile (a
# "zip bomb" of a few KB asking for GBs); tg.save writes entries stored, uncompressed
_DEFLATE_LIMIT = 1032

# the zip format's records that end an archive (APPNOTE 4.3.14 to 4.3.16)
_END = struct.Struct("<4s4H2LH")  # signature, disks, entries here and in all, size, offset
_END64_LOCATOR_SIZE = 20
_END64 = struct.Struct("<4sQ2H2L4Q")  # ..., entries here and in all, size, offset
_DIRECTORY = b"PK\x01\x02"  # the first bytes of a zip directory's entry


class LoadError(ValueError):
    """`load` could not read a file: damaged, truncated, not saved weights, or unsafe."""


# ---------------------------------------------------------------------------------------
# sources: a path, or a file object


def read_path(target: str) -> dict[str, np.ndarray]:
    """The arrays of the file at `target`, in order (the marker entry among them), checked."""
    if not os.path.exists(target):
        raise FileNotFoundError(f"load: no file at {target!r}; check the path (saved weights "
                                f"are written by tg.save(model.state_dict(), path))")
    if os.path.isdir(target):
        raise IsADirectoryError(f"load: {target!r} is a folder; give the path of the saved file")
    if not os.access(target, os.R_OK):
        raise PermissionError(f"load: no permission to read {target!r}; change its permissions "
                              f"or copy it somewhere readable")
    with _open_regular_file(target) as file:
        return read_npz(repr(target), file)


def describe_file_object(file: Any) -> str:
    """A file object as a message names it: "the file object <_io.BytesIO object at ...>"."""
    try:
        text = repr(file)
    except Exception:  # (a user's object whose repr fails: its type is enough)
        text = f"<{type(file).__name__} object>"
    name = getattr(file, "name", None)
    if len(text) > 100 and isinstance(name, str):  # (a long path: its end, the file's name)
        shown = name if len(name) <= 60 else "..." + name[-57:]
        text = f"<{type(file).__module__}.{type(file).__name__} name={shown!r}>"
    return f"the file object {text if len(text) <= 100 else short_repr(file)}"


def check_file_object(file: Any, what: str, writing: bool) -> None:
    """One line unless `file` is open, in binary mode, and writable (or readable)."""
    source = describe_file_object(file)
    if getattr(file, "closed", False) is True:
        raise ValueError(f"{what}: {source} is closed; give an open file (or a path)")
    mode = "wb" if writing else "rb"
    if isinstance(file, io.TextIOBase):
        raise TypeError(f"{what}: {source} is in text mode, and a saved file is bytes; open "
                        f"it in binary mode ({mode!r}), or use io.BytesIO")
    able = getattr(file, "writable" if writing else "readable", None)
    if callable(able) and not able():
        raise io.UnsupportedOperation(f"{what}: {source} is not open for "
                                      f"{'writing' if writing else 'reading'}; open it with "
                                      f"{mode!r}")


def read_file_object(file: IO[bytes]) -> dict[str, np.ndarray]:
    """The arrays of the archive starting at `file`'s position, checked. What follows the
    position is read into memory; the position is then left just past that archive (a file
    that cannot seek: at its end), or where it was when the archive is refused."""
    source = describe_file_object(file)
    check_file_object(file, "load", writing=False)
    seekable = getattr(file, "seekable", None)
    start = file.tell() if callable(seekable) and seekable() else None
    try:
        data = file.read()
        if isinstance(data, str):
            raise TypeError(f"load: {source} gave text (str), and a saved file is bytes; open "
                            f"it in binary mode ('rb'), or use io.BytesIO")
        if not isinstance(data, (bytes, bytearray, memoryview)) and data is not None:
            raise TypeError(f"load: {source}.read() gave {type(data).__name__}, not bytes; "
                            f"give a file opened in binary mode ('rb') or an io.BytesIO")
        data = bytes(data or b"")
        length = archive_length(data, start or 0)
        arrays = read_npz(source, io.BytesIO(data[:length]))
    except BaseException:
        if start is not None:
            file.seek(start)  # nothing was loaded, and nothing consumed
        raise
    if start is not None:
        file.seek(start + length)
    return arrays


def archive_length(data: bytes, start: int = 0) -> int:
    """How many bytes of `data` the zip archive at its start takes: up to the end of the
    first end record whose directory lies just before it, where the record says (counted
    from the archive's start, as tg.save writes it, or from the file's, as zipfile writes
    into a file object at `start`). What follows, another archive saved into the same file
    object, is not this one's. All of `data` when none is found (a truncated archive): the
    checks then refuse it."""
    at = data.find(b"PK\x05\x06")
    while at >= 0:
        if at + _END.size <= len(data):
            _, _, _, _, entries, size, offset, comment = _END.unpack_from(data, at)
            end = at + _END.size + comment
            locator = at - _END64_LOCATOR_SIZE
            record = locator - _END64.size  # a zip64 end record: where zipfile finds it
            if record >= 0 and data[locator:locator + 4] == b"PK\x06\x07" \
                    and data[record:record + 4] == b"PK\x06\x06":
                *_, entries, size, offset = _END64.unpack_from(data, record)
                directory = record - size
            else:
                directory = at - size
            found = data[directory:directory + 4] == _DIRECTORY if entries else directory == 0
            if end <= len(data) and directory >= 0 and found and offset - directory in (0, start):
                return end
        at = data.find(b"PK\x05\x06", at + 1)
    return len(data)


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


# ---------------------------------------------------------------------------------------
# the archive's checks


def read_npz(source: str, file: IO[bytes]) -> dict[str, np.ndarray]:
    """Every array of the archive in `file` (seekable, the archive at its start), read and
    checked; `source` names it in the messages."""
    if not zipfile.is_zipfile(file):
        file.seek(0)
        if file.read(6) == b"\x93NUMPY":
            raise LoadError(f"load: {source} is a single .npy array, not an .npz archive of "
                            f"named weights; read it with np.load(path), or save the model's "
                            f"weights with tg.save(model.state_dict(), path)")
        file.seek(0)
        if file.read(1) == b"\x80":  # a pickle's first byte (protocol 2 and later)
            raise LoadError(f"load: {source} is a Python pickle (pickle.dump, or an old "
                            f"torch.save), which tg.load never reads: loading a pickle can run "
                            f"code. Load it with the program that wrote it and save its arrays "
                            f"with tg.save or np.savez")
        raise LoadError(damaged(source, "it is not an .npz archive (no zip directory at its end: "
                                        "truncated, or another kind of file)"))
    arrays: dict[str, np.ndarray] = {}
    try:
        layouts = _check_members(source, file)
        file.seek(0)
        with np.load(file, allow_pickle=False) as archive:
            for name in archive.files:
                value = archive[name]  # reads the entry whole: zipfile checks its CRC-32
                if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
                    got = (f"dtype {value.dtype}" if isinstance(value, np.ndarray)
                           else type(value).__name__)
                    raise LoadError(f"load: entry {name!r} of {source} is not an array of "
                                    f"bool, integers or real floats (got {got}); tg.load reads "
                                    f"only those, as tg.save writes them")
                arrays[name] = value if name not in layouts else \
                    _in_layout(source, name, value, layouts[name])
    except LoadError:
        raise
    except ValueError as err:
        if "pickle" in str(err) or "Object arrays" in str(err):
            raise LoadError(f"load: {source} holds pickled Python objects, which could run "
                            f"code when loaded, so it was not read; tg.save writes numeric "
                            f"arrays only. Load it only if you trust its source, with "
                            f"np.load(path, allow_pickle=True)") from None
        raise LoadError(damaged(source, str(err))) from None
    except _READ_ERRORS as err:
        raise LoadError(damaged(source, f"{type(err).__name__}: {err}")) from None
    return arrays


def layout_comment(array: np.ndarray) -> bytes:
    """The zip comment of `array`'s entry: the strides it is laid out in again when loaded
    (`saved_strides`, or PyTorch's own where NumPy's order is row by row but they are not:
    an axis of length 1's, an empty array's), or nothing where its values lie row by row."""
    steps = saved_strides(array)
    if steps is None and not row_by_row(array) and array.flags.c_contiguous:
        steps = pytorch_strides(array)
    return b"" if steps is None else _STRIDES + " ".join(map(str, steps)).encode("ascii")


def _in_layout(source: str, name: str, array: np.ndarray, comment: bytes) -> np.ndarray:
    """A loaded entry's array laid out in the strides its comment names."""
    try:
        steps = tuple(int(step) for step in comment[len(_STRIDES):].split())
    except ValueError:
        steps = ()
    laid_out = in_saved_strides(array, steps)
    if laid_out is None:
        raise LoadError(damaged(source, f"its entry {name!r} names the strides "
                                        f"{comment[len(_STRIDES):][:60]!r}, which are no "
                                        f"layout of its shape {array.shape}"))
    return restrided(laid_out, steps)  # (those of its axes of length 1 too, no entries)


def _check_members(source: str, file: IO[bytes]) -> dict[str, bytes]:
    """The zip directory, before any entry is read: each name once, each entry stored or
    deflated, and none declaring more bytes than its compressed size can hold. Returns
    the comments naming strides, by entry (the name np.load gives it)."""
    file.seek(0)
    with zipfile.ZipFile(file) as archive:
        members = archive.infolist()
    names = [m.filename for m in members]
    if any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
        raise LoadError(f"load: {source} was written by torch.save (a zip holding a pickle), "
                        f"which tg.load never reads: loading a pickle can run code. Load it "
                        f"with torch.load and save its arrays with tg.save or np.savez")
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        raise LoadError(damaged(source, f"it lists the entry {twice!r} twice (appended to?)"))
    for m in members:
        if m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise LoadError(f"load: entry {m.filename!r} of {source} is compressed with "
                            f"method {m.compress_type}, which tg.save and np.savez never use; "
                            f"this is not a file of saved weights")
        limit = m.compress_size if m.compress_type == zipfile.ZIP_STORED else \
            _DEFLATE_LIMIT * m.compress_size + 1024
        if m.file_size > limit:
            raise LoadError(damaged(source, f"its entry {m.filename!r} declares "
                                            f"{m.file_size:,} bytes from {m.compress_size:,}, "
                                            f"more than its compression can hold"))
    return {m.filename.removesuffix(".npy"): m.comment for m in members
            if m.comment.startswith(_STRIDES)}


def damaged(source: str, reason: str) -> str:
    """The message for a source that cannot be read, and why."""
    return (f"load: cannot read {source}: {reason}. The file is damaged or incomplete "
            f"(an interrupted copy or download?); nothing was loaded. Save the weights again "
            f"or restore the file from a backup")


def check_format(source: str, marker: np.ndarray | None, found: int) -> None:
    """The marker entry (absent in a plain np.savez archive) against the arrays `found`."""
    if marker is None:
        return  # a plain np.savez archive: no version or count to check
    if marker.shape != (2,) or marker.dtype.kind not in "iu":
        raise LoadError(damaged(source, f"its format marker {FORMAT_KEY!r} is malformed "
                                        f"(shape {marker.shape}, dtype {marker.dtype})"))
    version, count = (int(n) for n in marker)
    if not 1 <= version <= FORMAT_VERSION:
        raise LoadError(f"load: {source} has format version {version}, this tinygrad_gd "
                        f"reads versions 1 to {FORMAT_VERSION}; upgrade tinygrad_gd to load it")
    if found != count:
        raise LoadError(damaged(source, f"it was saved with {count} arrays but {found} can "
                                        f"be found in its zip directory"))

"""Weights on disk: `save(module_or_state_dict, path)` and `load(path)`, NumPy's .npz format.

A saved file is an ordinary .npz archive: one array per parameter, stored under the
parameter's dotted name (`0.weight`, `hidden.bias`), after a first marker entry
`__tinygrad_gd_format__` holding [format version, number of entries]. `np.load(path)`
reads it too. The count matters: damage to the zip's directory can hide the entries after
the damaged one without any checksum failing, and the count exposes that.

An array's layout is kept, as torch.save keeps a tensor's strides: where its values do
not lie row by row (`x.T`, channels_last), its entry holds them row by row (what
`np.load` and earlier versions read) and the entry's zip comment its strides
(`tinygrad_gd strides 1 3`), which `load` lays the array out in again; a view with
gaps or repeats (`x[:, ::2]`) keeps the order of its strides, without the gaps.

A Module is saved whole, as `torch.save(model, path)` saves it (format version 3,
`tinygrad_gd.serialization_model`): its state dict's arrays as above, then the module
pickled. `tg.load(path, weights_only=False)` gives the model back (its class importable,
as torch's; loading a pickle runs code: trusted files only); `tg.load(path)` (weights_only
True, the default) reads its state dict alone, runs no code, and says so when the result
is used as a model (`.eval()`).

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

* Loading never runs code, unless `weights_only=False` meets a whole model (which is
  pickled, as torch's). Arrays are read with `allow_pickle=False`, so a file holding
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

As torch.save and torch.load, both take a binary file object instead of a path
(`io.BytesIO`, `open(path, "wb")` / `"rb"`): save writes the same bytes at its position
(built whole first: a refused save writes nothing), load reads the archive at its
position and leaves it just past it. Reading and its checks live in
`tinygrad_gd.serialization_format`.
"""
from __future__ import annotations

import io
import json
import os
import time
import zipfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Mapping, Union

import numpy as np

from .files import as_path, atomic_write
from .serialization_format import (FORMAT_KEY, FORMAT_VERSION, STRUCTURE_KEY, LoadError,
                                   check_file_object, check_format, damaged,
                                   describe_file_object, layout_comment, read_file_object,
                                   read_path)
from .serialization_model import MODEL_KEY, is_model, load_model, model_entries
from .tensor import Tensor, _raw

if TYPE_CHECKING:
    from .nn.module import Module

__all__ = ["save", "load", "LoadError", "FORMAT_KEY", "FORMAT_VERSION", "STRUCTURE_KEY"]

_MAX_NAME_BYTES = 0xFFFF  # a zip header stores a name's length in two bytes

PathLike = Union[str, os.PathLike]

_MAX_DEPTH = 100  # a checkpoint's nesting, at most: deeper ones meet Python's recursion limit


# ---------------------------------------------------------------------------------------
# save


def save(obj: "Module | Mapping[str, Any]", f: "PathLike | IO[bytes]") -> None:
    """Write a module's parameters (or a state dict, or a checkpoint) to `f` as an .npz:
    a path, or a file object open for writing in binary mode (PyTorch's torch.save(obj, f)).

    `obj` is a `Module` (saved whole, pickled after its state dict's arrays, as
    torch.save(model) saves it: `tg.load(path, weights_only=False)` gives it back, its
    class importable; what cannot be pickled, a lambda hook say, is named in one line,
    pickle.PicklingError, before anything is written), an optimizer (its `state_dict()`
    is saved), one array or Tensor (`torch.save(tensor, f)`), a mapping of names
    to arrays or Tensors, or a checkpoint: a dict nesting dicts (string or int keys),
    lists and tuples of arrays, Tensors, numbers, strings and None, such as
    `{"model": model.state_dict(), "optim": optimizer.state_dict(), "epoch": 3}`. The
    file is written exactly at the path (no suffix is added) and replaces an existing file
    only once it is complete and its directory lists every entry (a symbolic link to a
    file there is replaced by the file, its target left alone; a FIFO, a device or a
    folder there, or a link to one or through /proc, is refused: `tinygrad_gd.files`). Load
    it with `model.load_state_dict(tg.load(path))`, a checkpoint with `checkpoint =
    tg.load(path)` and `optimizer.load_state_dict(checkpoint["optim"])`.

    A file object (`io.BytesIO`, `open(path, "wb")`, anything with `write`) gets the same
    bytes, written at its position; flushing and closing it are the caller's. The archive
    is built whole in memory first, so one refused (an entry that cannot be saved) writes
    nothing into it. A file in text mode is refused (TypeError: open it with "wb"), and so
    is a closed one (ValueError).
    """
    if hasattr(f, "write"):
        check_file_object(f, "save", writing=True)
        _save_to_file_object(f, _arrays_to_save(obj))
        return
    arrays = _arrays_to_save(obj)  # (a model's pickle made: refused before any write)
    atomic_write(f, lambda file: _write_npz(file, arrays), "save",
                 check=lambda temporary: _check_written(temporary, repr(os.fspath(f)), arrays))


def _save_to_file_object(file: IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    """The archive built and checked in memory, then written into `file` at its position."""
    source = describe_file_object(file)
    archive = io.BytesIO()
    _write_npz(archive, arrays)
    _check_written(archive, source, arrays)
    data = memoryview(archive.getvalue())
    written = 0
    while written < len(data):
        try:
            count = file.write(data[written:])
        except TypeError:  # a writer of text that is no io.TextIOBase
            raise TypeError(f"save: {source} does not take bytes (a file in text mode?); open "
                            f"it in binary mode ('wb'), or use io.BytesIO") from None
        # a raw file may write only a part; None: a writer that does not count
        if count == 0:
            raise OSError(f"save: {source} took none of the last {len(data) - written} bytes "
                          f"of the archive; give a file object that writes them all")
        written = len(data) if count is None else written + count


def _arrays_to_save(obj: Any) -> dict[str, np.ndarray]:
    """The named arrays of a Module (its state dict and pickle), a state dict or a
    checkpoint, checked: string names, numeric data."""
    if is_model(obj):
        state = obj.state_dict(keep_vars=True)  # (its own arrays: written as they are)
        arrays = _arrays_to_save(state)
        if any(name.startswith(MODEL_KEY) for name in arrays):
            raise ValueError(f"save: names starting with {MODEL_KEY!r} are reserved for the "
                             f"pickled model; rename that entry")
        arrays.update(model_entries(obj, state))
        arrays[FORMAT_KEY] = np.array([3, len(arrays) - 1], np.int64)
        return arrays
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    if isinstance(obj, (np.ndarray, Tensor)):  # torch.save(tensor, f): one array
        return _Checkpoint().arrays_of(obj)
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


def _check_written(written: "Path | IO[bytes]", target: str,
                   arrays: Mapping[str, np.ndarray]) -> None:
    """The complete archive lists every entry under its own name, before it replaces
    anything (or is written into a file object); `target` names where it goes."""
    expected = [name + ".npy" for name in arrays]
    with zipfile.ZipFile(written) as archive:
        found = archive.namelist()
    if found != expected:
        missing = sorted(set(expected) - set(found))[:3]
        raise ValueError(f"save: the archive written for {target} does not list the "
                         f"entries it was given (missing {missing}); nothing was replaced. Check "
                         f"the names of the entries")


def _write_npz(file: IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    """NumPy's .npz layout (an uncompressed zip of .npy files), written entry by entry.

    Written here rather than with np.savez, whose own keyword arguments (`file`,
    `allow_pickle`) would collide with parameters of those names.
    """
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            with zf.open(_member(name, array), mode="w", force_zip64=True) as member:
                _write_entry(member, array)


def _member(name: str, array: np.ndarray) -> "str | zipfile.ZipInfo":
    """The zip entry of `array`: its name, and where its values do not lie row by row, its
    strides in the entry's comment (`layout_comment`)."""
    comment = layout_comment(array)
    if not comment:
        return name + ".npy"
    member = zipfile.ZipInfo(name + ".npy", date_time=time.localtime(time.time())[:6])
    member.compress_type, member.comment = zipfile.ZIP_STORED, comment
    return member


def _write_entry(member: IO[bytes], array: np.ndarray) -> None:
    np.lib.format.write_array(member, array, allow_pickle=False)


# ---------------------------------------------------------------------------------------
# load


def load(f: "PathLike | IO[bytes]", map_location: Any = None, *,
         weights_only: bool | None = None) -> Any:
    """Read what `save` wrote: a dict {parameter name: array}, in the saved order, or the
    checkpoint saved, rebuilt exactly (its dicts, lists, tuples, numbers, strings and None
    as they were; arrays and Tensors as ndarrays), or the one array or Tensor saved (an
    ndarray).

    `f` is a path, or a file object open for reading in binary mode (`io.BytesIO`,
    `open(path, "rb")`, anything with `read`), as torch.load takes: the archive is read
    from its position, which is then left just past it (where torch's is left inside), so
    archives saved one after another into one file object load back in order. A file
    object that cannot seek is read to its end. A file in text mode is refused
    (TypeError: open it with "rb"), and so is a closed one (ValueError); errors name it as
    "the file object <...>".

    Every array is read (and its checksum verified) before this returns; pickled data is
    refused, so loading runs no code (but a whole model's, with weights_only=False).
    Raises `FileNotFoundError` for a missing file and `LoadError` for one (or a file
    object's archive) that is truncated, corrupted, not an .npz of arrays, or written by a
    newer format version. A plain `np.savez` archive of numeric arrays loads too (from a
    file object as well, at the position it was written).

    A whole model (`tg.save(model, path)`, format version 3) comes back as the model with
    `weights_only=False`, as torch.load(path, weights_only=False) gives it: unpickled, so
    its class must be importable here, and code runs (load only files you trust); its
    parameters are Parameters holding the saved values, without gradients. With
    `weights_only=True` or None (the default, True as torch.load's) only its state dict
    is read, and no code runs: using that dict as a model (`.eval()`) says so in one line.

    PyTorch's `map_location=None` or `"cpu"` is accepted, so `torch.load`'s lines work: the
    arrays are on the CPU.
    """
    if map_location is not None and str(map_location) != "cpu":  # (torch.device("cpu") too)
        raise ValueError(f"load: map_location={map_location!r} is not supported; arrays here "
                         f"are on the CPU: give None or 'cpu'")
    if weights_only is not None and not isinstance(weights_only, bool):
        raise TypeError(f"load: weights_only must be True or False, got {weights_only!r}")
    if hasattr(f, "read"):
        source = describe_file_object(f)
        arrays = read_file_object(f)
    else:
        target = str(as_path(f, "load", "model.npz"))
        source = repr(target)
        arrays = read_path(target)
    marker = arrays.pop(FORMAT_KEY, None)
    check_format(source, marker, len(arrays))
    version = 1 if marker is None else int(marker[0])
    if version == 3:
        return _whole_model(source, arrays, weights_only is False)
    if version == 2:
        return _rebuild(source, arrays)
    return _StateDict(arrays)


def _whole_model(source: str, arrays: dict[str, np.ndarray], unpickle: bool) -> Any:
    """A version-3 file: the model unpickled, or (weights only) its state dict alone."""
    pickled = arrays.pop(MODEL_KEY, None)
    if pickled is None:
        raise LoadError(damaged(source, f"its model entry {MODEL_KEY!r} is missing"))
    if unpickle:
        return load_model(source, pickled, arrays)
    state = {name: array for name, array in arrays.items()
             if not name.startswith(MODEL_KEY + "/")}
    if STRUCTURE_KEY in state:  # (a state dict holding more than arrays: extra state)
        return _rebuild(source, state)
    result = _StateDict(state)
    result.whole_model = True
    return result


class _StateDict(dict):
    """What `load` gives for saved weights: a dict {name: array}. Where a ported program
    expects torch.load's pickled model (`model = torch.load(path); model.eval()`), the
    Module's attribute it asks for says what the file holds and how to get the model."""

    whole_model = False  # the file holds a whole model, read with weights_only=True

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # (copy and pickle probe these: a dict's answers)
            raise AttributeError(name)
        if self.whole_model:
            raise AttributeError(
                f"load: the file holds a whole model, pickled code that runs when loaded, and "
                f"weights_only=True (the default, as torch.load's) read its state dict alone, "
                f"which has no {name!r}: if you trust the file, load the model with "
                f"tg.load(path, weights_only=False); or build the model, then "
                f"model.load_state_dict(tg.load(path))")
        raise AttributeError(f"load: the file holds a model's state dict (tg.save(model."
                             f"state_dict(), path) saves its weights alone), so it has no "
                             f"{name!r}: build the model, then "
                             f"model.load_state_dict(tg.load(path)); tg.save(model, path) "
                             f"saves the whole model")


class _Malformed(Exception):
    """A checkpoint's structure does not describe its arrays."""


def _rebuild(source: str, arrays: dict[str, np.ndarray]) -> Any:
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
        if used != set(arrays):
            raise _Malformed("its structure does not describe its arrays")
    except (_Malformed, ValueError, RecursionError) as err:  # (JSON's errors are ValueErrors)
        raise LoadError(damaged(source, f"its checkpoint structure cannot be read ({err})")) \
            from None
    return result

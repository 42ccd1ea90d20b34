"""A whole model on disk, as `torch.save(model, path)` keeps one: the module pickled.

`tg.save(model, path)` writes format version 3 (`tinygrad_gd.serialization`): the model's
state dict as named arrays, as version 1 writes it, then the entry `MODEL_KEY`, the
module pickled (bytes in a uint8 array), then any other numeric array the module holds,
as `MODEL_KEY/0`, `MODEL_KEY/1`, .... The pickle names each array by its entry (a
persistent id, as torch's pickle names its storages), so the weights are stored once and
`np.load(path)` reads them too.

As in torch, a class is pickled by its importable name, not its code: the class of the
model (and of each sub-module) must be importable where the file is loaded, and loading
runs code (the unpickling). So only `tg.load(path, weights_only=False)` unpickles the
model, and it is for files you trust; `weights_only=True` (the default) reads the state
dict alone and runs no code.

As torch's, a Tensor keeps its values, dtype, requires_grad and name, never its `.grad`
or the graph that made it (a non-leaf comes back a leaf). What pickle cannot store (a
lambda or a function defined inside another, say as a hook; a class defined inside a
function; an open file) is named in one line, path and all, before anything is written.
"""
from __future__ import annotations

import io
import pickle
from typing import Any

import numpy as np

from .nn.module import Module
from .serialization_format import LoadError, damaged
from .tensor import Tensor

__all__ = ["MODEL_KEY", "is_model", "model_entries", "load_model"]

MODEL_KEY = "__tinygrad_gd_model__"  # the pickled module; its other arrays: MODEL_KEY/i

# what a saved Tensor leaves behind, as torch's: its gradient and the graph that made it
_NOT_SAVED = ("_grad_at", "_made_by", "_made_in")
_CLEARED = {"_grad": None, "_ctx": None, "_version": None}
_MAX_SEARCH_DEPTH = 50  # how deep the search for what cannot be pickled looks


def is_model(obj: Any) -> bool:
    """Saved whole (pickled) by `tg.save`: a Module; an optimizer saves its state_dict()."""
    return isinstance(obj, Module)


class _Pickler(pickle.Pickler):
    """The module's pickle: every numeric ndarray becomes an entry of the archive (named by
    its state dict name where a parameter or buffer holds it), every Tensor is saved
    without its gradient and graph."""

    def __init__(self, file: io.BytesIO, names: dict[int, str]) -> None:
        super().__init__(file, protocol=pickle.DEFAULT_PROTOCOL)
        self.protocol = pickle.DEFAULT_PROTOCOL  # (the C Pickler does not say)
        self.names = names  # id(array) -> the state dict entry holding it
        self.arrays: dict[str, np.ndarray] = {}  # the other arrays met, by entry name (kept
        # alive while pickling: their ids stay theirs)

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) is not np.ndarray or obj.dtype.kind not in "biuf":
            return None  # pickled in place (a subclass, an object array)
        name = self.names.get(id(obj))
        if name is None:
            name = f"{MODEL_KEY}/{len(self.arrays)}"
            self.arrays[name] = obj
            self.names[id(obj)] = name
        return name

    def reducer_override(self, obj: Any) -> Any:
        if not isinstance(obj, Tensor):
            return NotImplemented
        reduced = obj.__reduce_ex__(self.protocol)
        state = reduced[2] if len(reduced) > 2 else None
        if not (isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict)):
            return NotImplemented  # a Tensor subclass pickling itself its own way
        slots = {k: v for k, v in state[1].items() if k not in _NOT_SAVED}
        slots.update((k, v) for k, v in _CLEARED.items() if k in slots)
        return (*reduced[:2], (state[0], slots), *reduced[3:])


def model_entries(model: Module, state: dict[str, Any]) -> dict[str, np.ndarray]:
    """The archive's entries that keep `model` whole, besides its state dict's (`state`,
    its `state_dict(keep_vars=True)`): the pickle and the arrays it refers to. Raises
    pickle.PicklingError, naming what cannot be pickled and why, when pickle cannot store
    the model (nothing is written then)."""
    names = {id(tensor._data): name for name, tensor in state.items()
             if isinstance(tensor, Tensor)}
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, names)
    try:
        pickler.dump(model)
    except (pickle.PicklingError, TypeError, AttributeError, ValueError,
            RecursionError) as err:
        raise pickle.PicklingError(_cannot_pickle(model, err)) from None
    return {MODEL_KEY: np.frombuffer(buffer.getvalue(), np.uint8), **pickler.arrays}


def _cannot_pickle(model: Module, err: BaseException) -> str:
    path, culprit, reason = _find_unpicklable(model, "model", set()) or ("model", model, err)
    what = repr(culprit)
    if isinstance(culprit, type) or callable(culprit) and hasattr(culprit, "__qualname__"):
        what = f"the {type(culprit).__name__} {culprit.__qualname__}"  # (where it was defined)
    elif len(what) > 80 or "\n" in what:  # (a module's repr: one line, its type)
        what = f"a {type(culprit).__name__} object"
    return (f"save: cannot save the whole model: {path} is {what}, which pickle cannot "
            f"store ({type(reason).__name__}: {_first_line(reason)}); {_advice(culprit)}, or "
            f"save model.state_dict() instead (its arrays only); nothing was written")


def _advice(culprit: Any) -> str:
    name = getattr(culprit, "__qualname__", "") or type(culprit).__qualname__
    if "<lambda>" in name or "<locals>" in name:
        return ("define that function or class at the top level of a module (pickle "
                "stores it by its importable name), or remove it (a hook: handle.remove())")
    return "remove that attribute (or make it picklable) before saving"


def _first_line(err: BaseException) -> str:
    text = str(err).splitlines()[0] if str(err) else ""
    return text if len(text) <= 120 else text[:117] + "..."


def _find_unpicklable(obj: Any, path: str,
                      within: set[int]) -> tuple[str, Any, BaseException] | None:
    """The innermost part of `obj` that pickle refuses, as (its path, it, the error), or
    None when `obj` pickles: its parts are searched first, so the answer is the attribute,
    hook or item itself, not the model that holds it. `within`: the ids of the objects
    on the path to it (a part that holds one of them is not searched again)."""
    try:
        _Pickler(io.BytesIO(), {}).dump(obj)
        return None
    except Exception as err:  # (what pickle raises depends on the object: any error)
        error = err
    if len(within) < _MAX_SEARCH_DEPTH:
        for part_path, part in _parts(obj, path):
            if id(part) in within or part is obj:
                continue  # (a cycle: that part is being searched already)
            found = _find_unpicklable(part, part_path, within | {id(obj)})
            if found is not None:
                return found
    return path, obj, error


def _parts(obj: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(obj, dict):
        return [(f"{path}[{key!r}]", value) for key, value in obj.items()]
    if isinstance(obj, (list, tuple)):
        return [(f"{path}[{i}]", value) for i, value in enumerate(obj)]
    attributes = getattr(obj, "__dict__", None)
    if isinstance(attributes, dict):
        return [(f"{path}.{key}", value) for key, value in attributes.items()]
    return []


class _Unpickler(pickle.Unpickler):
    """Rebuilds the module, each array taken from its entry; a class that cannot be found
    is named in one line."""

    def __init__(self, file: io.BytesIO, source: str, arrays: dict[str, np.ndarray]) -> None:
        super().__init__(file)
        self.source, self.arrays, self.used = source, arrays, set()

    def persistent_load(self, pid: Any) -> np.ndarray:
        if not isinstance(pid, str) or pid not in self.arrays:
            raise LoadError(damaged(self.source, f"its model names the array {pid!r}, which "
                                                 f"it has not"))
        self.used.add(pid)
        return self.arrays[pid]

    def find_class(self, module: str, name: str) -> Any:
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError) as err:
            raise type(err)(f"load: the whole model in {self.source} needs {module}.{name}, "
                            f"which cannot be found here ({_first_line(err)}); import or "
                            f"define it before loading (a pickle keeps a class's name, not "
                            f"its code: torch.load needs it too)") from None


def load_model(source: str, pickled: np.ndarray, arrays: dict[str, np.ndarray]) -> Module:
    """The module a version-3 file pickled, its arrays taken from `arrays` (the entries,
    state dict ones and MODEL_KEY/i ones alike). Runs the pickle's code: for trusted files
    only (tg.load(path, weights_only=False))."""
    if pickled.dtype != np.uint8 or pickled.ndim != 1:
        raise LoadError(damaged(source, f"its model entry {MODEL_KEY!r} is malformed"))
    unpickler = _Unpickler(io.BytesIO(pickled.tobytes()), source, arrays)
    try:
        model = unpickler.load()
    except (pickle.UnpicklingError, EOFError, ValueError, IndexError, KeyError) as err:
        if isinstance(err, LoadError):
            raise
        raise LoadError(damaged(source, f"its model cannot be unpickled ({_first_line(err)})")) \
            from None
    extra = {name for name in arrays if name.startswith(MODEL_KEY + "/")}
    if not isinstance(model, Module) or not extra <= unpickler.used:
        raise LoadError(damaged(source, "its model entry does not describe its arrays"))
    return model

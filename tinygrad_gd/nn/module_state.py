"""Saving and loading a Module's state: what `Module.state_dict` (PyTorch's `destination=`,
`prefix=`, `keep_vars=`) and `Module.load_state_dict` (`strict=`, `assign=`) do, what loading
returns (`IncompatibleKeys`, printed as PyTorch prints it) and what it raises
(`StateDictError`). A module whose class defines `get_extra_state` saves what it returns
under `<prefix>_extra_state`, after its own tensors; one whose class defines
`set_extra_state` is given that entry when loaded (after every tensor is), and lists it
as missing when the state lacks it; another module's `_extra_state` entry is unexpected
(PyTorch's rules; Module's own two methods are `no_extra_state` and `no_set_extra_state`).

Module's methods call these functions with the module and its Parameter and Buffer classes,
so this module does not import module.py. A module's state is the list its `_named_state`
gives: (dotted name, tensor, the module holding it, the member's name there), a tied tensor
once per name.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping, MutableMapping
from typing import Any, NamedTuple

import numpy as np

from ..errors import user_stacklevel
from ..engine import no_grad
from ..grad_mode import check_flag
from ..inference import refuse_changes
from ..memory_formats import copied, preserve_format
from ..tensor import Tensor

__all__ = ["IncompatibleKeys", "StateDictError", "state_dict_arguments", "fill_state_dict",
           "save_state", "load_state", "no_extra_state", "no_set_extra_state",
           "replace_member"]

_POSITIONAL = ("destination", "prefix", "keep_vars")
EXTRA_STATE = "_extra_state"  # (PyTorch's key of a module's extra state, after its prefix)


def no_extra_state(self: Any) -> Any:
    """What to save beside the tensors, under `_extra_state` (PyTorch's get_extra_state):
    define it, and `set_extra_state`, in a module class that keeps more than tensors. This
    one, Module's own, is never called: a class without its own saves no such entry."""
    raise RuntimeError(f"{type(self).__name__}.get_extra_state: the class defines none; "
                       f"define get_extra_state (and set_extra_state) to save more state")


def no_set_extra_state(self: Any, state: Any) -> None:
    """Take back what `get_extra_state` saved (PyTorch's set_extra_state); Module's own is
    never called: a class without its own finds its `_extra_state` entry unexpected."""
    raise RuntimeError(f"{type(self).__name__}.set_extra_state: the class defines none; "
                       f"define it to load the state's '_extra_state' entry")


def _extra_states(module: Any, method: str, default: Any) -> list[tuple[str, Any]]:
    """(the `_extra_state` name, the module) of each module, in state_dict's order, whose
    class defines its own `method` (get_extra_state or set_extra_state)."""
    return [(prefix + EXTRA_STATE, owner) for owner, prefix, _ in _walk(module, "")
            if prefix is not None and getattr(type(owner), method) is not default]


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` did not load: names the model has and the
    state lacks, and names the state has and the model lacks. Printed as PyTorch's:
    `<All keys matched successfully>` when both lists are empty."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, "
                f"unexpected_keys={self.unexpected_keys!r})")  # (PyTorch's class name)

    __str__ = __repr__


class StateDictError(ValueError, RuntimeError):
    """`load_state_dict` refused a state (names or shapes that differ): PyTorch's error there
    is a RuntimeError, a wrong argument's here a ValueError; `except` catches it as either."""


def state_dict_arguments(args: tuple, destination: Any, prefix: Any,
                         keep_vars: Any) -> tuple[MutableMapping | None, str, bool]:
    """`state_dict`'s arguments checked: positional ones (destination, prefix, keep_vars, in
    PyTorch's order) are read with PyTorch's FutureWarning."""
    if len(args) > len(_POSITIONAL):
        raise TypeError(f"state_dict: takes at most 3 positional arguments (destination, "
                        f"prefix, keep_vars), got {len(args)}; pass them as keywords")
    given = {"destination": destination, "prefix": prefix, "keep_vars": keep_vars}
    for name, value in zip(_POSITIONAL, args):
        keyword = given[name]
        if (keyword is not None if name == "destination" else
                keyword is not False if name == "keep_vars" else keyword != ""):
            raise TypeError(f"state_dict: got {name} both positionally ({value!r:.40}) and as "
                            f"a keyword ({keyword!r:.40}); pass it once, as a keyword")
        given[name] = value
    if not isinstance(given["prefix"], str):
        raise TypeError(f"state_dict: prefix must be a str (such as 'encoder.'), got "
                        f"{type(given['prefix']).__name__} {given['prefix']!r:.40}")
    keep = check_flag("state_dict", "keep_vars", given["keep_vars"])
    if given["destination"] is not None and not isinstance(given["destination"],
                                                           MutableMapping):
        raise TypeError(f"state_dict: destination must be a mutable mapping (a dict) to put "
                        f"the entries into, or None for a new dict, got "
                        f"{type(given['destination']).__name__}")
    if args:  # (PyTorch's deprecation, shown where state_dict was called)
        warnings.warn("state_dict: positional arguments are deprecated, as in PyTorch; use "
                      "keywords instead: state_dict(destination=..., prefix=..., "
                      "keep_vars=...)", FutureWarning, stacklevel=user_stacklevel())
    return given["destination"], given["prefix"], keep


def fill_state_dict(named: list[tuple], destination: MutableMapping | None,
                    keep_vars: bool) -> MutableMapping:
    """Put every (name, tensor) of `named` into `destination` (a new dict when None), in
    order: a copy of the array in the tensor's strides (as PyTorch's state_dict keeps a
    parameter's layout: channels_last stays so through tg.save), or with keep_vars the
    tensor itself. Returns `destination`."""
    target: MutableMapping = {} if destination is None else destination
    for name, tensor, *_ in named:
        target[name] = tensor if keep_vars else copied("state_dict", tensor._data,
                                                       preserve_format)
    return target


def _hooked(module: Any, *kinds: str) -> bool:
    """Whether `module` or a sub-module has a hook in one of the `kinds` dicts."""
    return any(vars(m).get(kind) for m in module.modules() for kind in kinds)


def _walk(module: Any, prefix: str, ancestors: frozenset[int] = frozenset()) -> Any:
    """(module, its prefix, the prefixes of its sub-modules entered) for `module` and then
    each sub-module (`_named_state`'s order and rule: none holding it is entered again),
    and (module, None, None) once its sub-modules are done."""
    inside = ancestors | {id(module)}
    children = [(f"{prefix}{name}.", child) for name, child in module.named_children()
                if id(child) not in inside]
    yield module, prefix, [child_prefix for child_prefix, _ in children]
    for child_prefix, child in children:
        yield from _walk(child, child_prefix, inside)
    yield module, None, None


def _own_entries(module: Any, prefix: str) -> list[tuple]:
    """The entries of `module._named_state(prefix)` that are its own (not a sub-module's)."""
    return [entry for entry in module._named_state(prefix)
            if entry[2] is module and entry[0] == prefix + entry[3]]


class StateDict(dict):
    """What `state_dict()` returns: a dict {name: array} with PyTorch's `_metadata`,
    {module's prefix without its dot: {"version": its class's `_version`}}, which
    `load_state_dict` gives each module's load pre-hooks as `local_metadata`."""

    _metadata: dict


def _local_metadata(module: Any) -> dict:
    """PyTorch's metadata of one module in a state dict: its class's `_version` (1 unless
    the class sets another)."""
    return {"version": getattr(module, "_version", 1)}


def _note_versions(module: Any, prefix: str, target: Any) -> None:
    """Each module's `{"version": _version}` in `target._metadata` (when it has one)."""
    metadata = getattr(target, "_metadata", None)
    if isinstance(metadata, MutableMapping):
        for owner, owner_prefix, _ in _walk(module, prefix):
            if owner_prefix is not None:
                metadata[owner_prefix[:-1]] = _local_metadata(owner)


def save_state(module: Any, prefix: str, destination: MutableMapping | None,
               keep_vars: bool) -> MutableMapping:
    """`module.state_dict(prefix=, destination=, keep_vars=)`, with PyTorch's state-dict
    hooks: each module's pre-hooks `hook(module, prefix, keep_vars)` before its own
    entries are saved, its post-hooks `hook(module, state_dict, prefix, local_metadata)`
    after its sub-modules'."""
    if destination is None:
        destination = StateDict()
        destination._metadata = {}
    _note_versions(module, prefix, destination)
    extra = dict(_extra_states(module, "get_extra_state", no_extra_state))
    if not extra and not _hooked(module, "_state_dict_pre_hooks", "_state_dict_hooks"):
        return fill_state_dict(module._named_state(prefix), destination, keep_vars)
    target: MutableMapping = destination
    entered: list[str] = []
    for owner, owner_prefix, _ in _walk(module, prefix):
        if owner_prefix is not None:
            entered.append(owner_prefix)
            for hook in list(vars(owner).get("_state_dict_pre_hooks", {}).values()):
                hook(owner, owner_prefix, keep_vars)
            fill_state_dict(_own_entries(owner, owner_prefix), target, keep_vars)
            if owner_prefix[len(prefix):] + EXTRA_STATE in extra:
                target[owner_prefix + EXTRA_STATE] = owner.get_extra_state()
            continue
        owner_prefix = entered.pop()
        for hook in list(vars(owner).get("_state_dict_hooks", {}).values()):
            if hook(owner, target, owner_prefix, _local_metadata(owner)) is not None:
                raise RuntimeError(f"state_dict: a state_dict post-hook of "
                                   f"{type(owner).__name__} returned a value; it must return "
                                   f"None (change the state_dict it is given in place)")
    return target


def _load_pre_hooks(module: Any, state: Any, assign: bool, missing: list, unexpected: list,
                    errors: list) -> dict:
    """PyTorch's load_state_dict pre-hooks run on a copy of `state`, module by module: each
    gets the names under its prefix (as its parent's hooks left them) and may change
    them. Returns the state then loaded: each module's own names and, from the module
    above them, those of no sub-module, as its hooks left them."""
    metadata = getattr(state, "_metadata", None)
    loaded: dict = {}
    states = [{name: state[name] for name in state.keys()}]
    for owner, prefix, children in _walk(module, ""):
        if prefix is None:
            states.pop()
            continue
        local = states[-1]
        if prefix:  # (a sub-module's: the names under its prefix in its parent's)
            local = {name: value for name, value in local.items() if name.startswith(prefix)}
        states.append(local)
        meta = dict(metadata.get(prefix[:-1], {})) if metadata is not None else {}
        if assign:
            meta["assign_to_params_buffers"] = True
        for hook in list(vars(owner).get("_load_state_dict_pre_hooks", {}).values()):
            hook(owner, local, prefix, meta, True, missing, unexpected, errors)
        own = {name for name, *_ in _own_entries(owner, prefix)}
        loaded.update((name, value) for name, value in local.items() if name in own or not any(
            name.startswith(child) for child in children))
    return loaded


def _load_post_hooks(module: Any, keys: IncompatibleKeys) -> None:
    """PyTorch's load_state_dict post-hooks, each module's after its sub-modules'."""
    for owner, prefix, _ in _walk(module, ""):
        if prefix is not None:
            continue  # (entering it: its hooks run once its sub-modules' have)
        for hook in list(vars(owner).get("_load_state_dict_post_hooks", {}).values()):
            if hook(owner, keys) is not None:
                raise RuntimeError(f"load_state_dict: a load_state_dict post-hook of "
                                   f"{type(owner).__name__} returned a value; it must return "
                                   f"None (change incompatible_keys' lists in place)")


def load_state(module: Any, state: Any, strict: Any, assign: Any,
               kinds: tuple[type, type]) -> IncompatibleKeys:
    """`module.load_state_dict(state, strict, assign)`; `kinds`: (Parameter, Buffer), the
    classes of the tensors assign=True makes. Every entry is checked before anything
    changes; a tensor with two names (tied) is loaded once and stays tied."""
    if not isinstance(state, Mapping) and not hasattr(state, "keys"):
        raise TypeError(f"load_state_dict: expected a mapping of names to arrays (such as "
                        f"model.state_dict() or np.load('file.npz')), got "
                        f"{type(state).__name__}")
    strict = check_flag("load_state_dict", "strict", strict)
    assign = check_flag("load_state_dict", "assign", assign)
    added: tuple[list, list, list] = ([], [], [])  # pre-hooks': missing, unexpected, errors
    if _hooked(module, "_load_state_dict_pre_hooks"):
        state = _load_pre_hooks(module, state, assign, *added)
    post = _hooked(module, "_load_state_dict_post_hooks")
    slots = module._named_state()
    own = {name: tensor for name, tensor, *_ in slots}
    names = list(state.keys())
    # a tied tensor loaded under one of its names is not missing (a file saved before
    # state_dict listed every name of a tied tensor)
    loaded = {id(own[n]) for n in names if n in own}
    missing = [n for n in own if n not in state and id(own[n]) not in loaded]
    unexpected = [n for n in names if n not in own]
    extra = dict(_extra_states(module, "set_extra_state", no_set_extra_state))
    if extra or any(n.endswith(EXTRA_STATE) for n in unexpected):  # (PyTorch's order)
        missing, unexpected = _with_extra_states(module, extra, state, missing, unexpected)
    missing += [n for n in added[0] if n not in missing]
    unexpected += [n for n in added[1] if n not in unexpected]
    values: dict[str, np.ndarray] = {}
    problems: list[str] = [f"  {message}" for message in added[2]]
    for name in names:
        if name not in own:
            continue
        value = state[name]
        value = value._data if isinstance(value, Tensor) else np.asarray(value)
        problem = _difference(name, value, own[name], assign, kinds[0])
        if problem:
            problems.append(problem)
        else:
            values[name] = value
    if problems or strict and not post and (missing or unexpected):
        _refuse(module, problems, strict and not post, missing, unexpected, "nothing was loaded")
    if assign:
        _assign(slots, values, kinds)
    else:
        keys = list(values)  # (an inference tensor among them: refused before any loads)
        refuse_changes("load_state_dict", [own[k] for k in keys], "build the model outside "
                       "tg.inference_mode(), or pass assign=True",
                       lambda i, t: f"entry {keys[i]!r}")
        with no_grad():
            for name, value in values.items():
                own[name][...] = value  # in place: optimizers and views keep the same array
    for name, owner in extra.items():
        if name in state:
            owner.set_extra_state(state[name])
    keys = IncompatibleKeys(missing, unexpected)
    if post:  # (PyTorch's order: loaded, the post-hooks, then strict's check of the names)
        _load_post_hooks(module, keys)
        if strict and (missing or unexpected):
            _refuse(module, [], True, missing, unexpected, "the matching entries were loaded "
                    "and the load_state_dict post-hooks ran, as in PyTorch")
    return keys


def _with_extra_states(module: Any, extra: dict, state: Any, missing: list,
                       unexpected: list) -> tuple[list, list]:
    """`missing` and `unexpected` with the `_extra_state` entries as PyTorch lists them:
    those of the modules that set one missing from `state`, each after its module's own
    tensors, and no entry a module sets is unexpected."""
    order = {entry[0]: i for i, entry in enumerate(
        entry for owner, prefix, _ in _walk(module, "") if prefix is not None
        for entry in [*_own_entries(owner, prefix), (prefix + EXTRA_STATE,)])}
    missing = sorted(missing + [n for n in extra if n not in state],
                     key=lambda n: order.get(n, len(order)))
    return missing, [n for n in unexpected if n not in extra]


def _refuse(module: Any, problems: list[str], strict: bool, missing: list, unexpected: list,
            done: str) -> None:
    """Raise load_state_dict's StateDictError: every entry that differs, one a line."""
    if strict:
        problems = problems + [f"  {n}: in the model, missing from the state" for n in missing]
        problems += [f"  {n}: in the state, not a parameter of the model" for n in unexpected]
    entries = "1 entry" if len(problems) == 1 else f"{len(problems)} entries"
    hint = ("\n(strict=False loads the matching names and skips missing or unexpected "
            "ones)" if strict and (missing or unexpected) else "")
    differ = "differs" if len(problems) == 1 else "differ"
    raise StateDictError(f"load_state_dict: {entries} of the state {differ} from "
                         f"{type(module).__name__}'s parameters, so {done}:\n"
                         + "\n".join(problems) + hint)


def _difference(name: str, value: np.ndarray, held: Tensor, assign: bool,
                parameter: type) -> str | None:
    """Why `value` cannot be loaded into `held` (a line of the error), or None."""
    if value.shape != held.shape:  # (cls_to_become: a lazy layer's, not made yet)
        lazy = "; a lazy layer's: call the model once first" * hasattr(held, "cls_to_become")
        return f"  {name}: shape {value.shape} in the state, {held.shape} in the model{lazy}"
    if not assign and value.dtype != held.dtype:
        return (f"  {name}: dtype {value.dtype} in the state, {held.dtype} in the model "
                f"(convert with .astype(np.{held.dtype}), or load with assign=True)")
    if assign and isinstance(held, parameter) and held.requires_grad and value.dtype.kind != "f":
        return (f"  {name}: dtype {value.dtype} in the state, but a parameter that learns "
                f"needs a float dtype (convert with .astype(np.{held.dtype}))")
    return None


def _assign(slots: list[tuple], values: dict[str, np.ndarray], kinds: tuple[type, type]) -> None:
    """Replace each loaded tensor by a new Parameter/Buffer holding a copy of the state's
    array (its dtype too): a Parameter keeps the old one's requires_grad and frozen entries.
    A tensor with two names gets one new tensor, the state's last value for it."""
    parameter, buffer = kinds
    held = {name: tensor for name, tensor, *_ in slots}
    made: dict[int, Tensor] = {}
    for name, value in values.items():
        old = held[name]
        if isinstance(old, parameter):
            new = parameter(value, requires_grad=old.requires_grad, dtype=value.dtype,
                            name=old.name)
            if getattr(old, "frozen_mask", None) is not None:
                new.freeze_(old.frozen_mask.copy())
        else:
            new = buffer(value, dtype=value.dtype, name=old.name)
        made[id(old)] = new
    for _, old, owner, member in slots:
        if id(old) in made:
            replace_member(owner, member, made[id(old)])


def replace_member(owner: Any, member: str, new: Tensor) -> None:
    """Put `new` where `owner`'s member is: an attribute, or `attr.i`, an item of a list or
    tuple attribute (Module._members' names)."""
    if member in vars(owner):
        setattr(owner, member, new)
        return
    attr, _, index = member.rpartition(".")
    items = vars(owner)[attr]
    if isinstance(items, list):
        items[int(index)] = new
    else:
        setattr(owner, attr, items[:int(index)] + (new,) + items[int(index) + 1:])

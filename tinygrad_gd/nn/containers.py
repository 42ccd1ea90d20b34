"""Containers, as PyTorch's: `Sequential` (run in order), `ModuleList` (numbered) and
`ModuleDict` (named) of Modules, `ParameterList` and `ParameterDict` of Parameters.

A model that holds a varying number of layers or weights keeps them in one of these, so
that `parameters()`, `state_dict()`, `train()`, the optimizers and the diagrams find them:
each entry is an attribute of the container ("0", "1", ... or its key), which is how
every Module finds its members. `Sequential` is a `ModuleList` that also runs its modules
one after another.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator, Mapping

import numpy as np

from ..tensor import Tensor
from .module import Module, Parameter
from .module_hooks import indented

__all__ = ["ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Sequential"]


def _checked(container: Module, module: Any, position: Any) -> Module:
    if not isinstance(module, Module):
        what = (f"the class {module.__name__}; write {module.__name__}() to make one"
                if isinstance(module, type) else f"a {type(module).__name__}")
        raise TypeError(f"{type(container).__name__}: layer {position} must be a Module "
                        f"instance, got {what}")
    return module


def _as_parameter(container: Module, value: Any, position: Any) -> Parameter:
    """`value` as an entry of a ParameterList/Dict: a Parameter as it is, a Tensor or an
    array wrapped (a copy that requires a gradient, as PyTorch wraps a tensor)."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, (Tensor, np.ndarray)):
        return Parameter(value)
    # (PyTorch would keep a number or a list as a plain object that no optimizer sees)
    raise TypeError(f"{type(container).__name__}: entry {position} must be an nn.Parameter, a "
                    f"Tensor or a NumPy array, got a value of type {type(value).__name__}")


def _pairs(container: Module, entries: Any, sort_dict: bool = False) -> list[tuple[Any, Any]]:
    """The (key, value) pairs of a mapping (a dict, a ModuleDict, ...) or of an iterable of
    pairs, in their order (a plain dict's sorted by key with `sort_dict`, as PyTorch's
    ParameterDict sorts one): what PyTorch's `update` takes."""
    name = type(container).__name__
    if callable(getattr(entries, "keys", None)) and hasattr(entries, "__getitem__"):
        pairs = [(key, entries[key]) for key in entries.keys()]
        if sort_dict and isinstance(entries, Mapping) and not isinstance(entries, OrderedDict):
            pairs.sort(key=lambda pair: str(pair[0]))
        return pairs
    if isinstance(entries, (str, bytes, Tensor, np.ndarray)) or not isinstance(entries, Iterable):
        raise TypeError(f"{name}: update expects a mapping or (key, value) pairs, got a value "
                        f"of type {type(entries).__name__}")
    pairs = []
    for i, pair in enumerate(entries):
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Iterable):
            raise TypeError(f"{name}: update's element #{i} is of type {type(pair).__name__}, "
                            f"not a (key, value) pair")
        pair = tuple(pair)
        if len(pair) != 2:
            raise ValueError(f"{name}: update's element #{i} has length {len(pair)}; a (key, "
                             f"value) pair is required")
        pairs.append(pair)
    return pairs


def _listing(entries: Iterable[tuple[str, Parameter]], type_name: bool = False) -> str:
    """PyTorch's extra_repr of a ParameterList, `  (0): Parameter containing: [float64 of
    size 3x2]` a line, or with `type_name` of a ParameterDict, `[tinygrad_gd.DoubleTensor
    of size 3x2]` (PyTorch's ParameterDict names the tensor type, its list the dtype)."""
    return "\n".join(f"  ({key}): Parameter containing: [{p.type() if type_name else p.dtype} "
                     f"of size {'x'.join(map(str, p.shape))}]" for key, p in entries)


class _List(Module):
    """What ModuleList and ParameterList share: the i-th entry is the attribute "i", so
    entries keep their positions as names (`blocks.0.weight`, `weights.0`)."""

    _positional_tensors = None  # (its entries: checked one by one, with their own message)

    _kind: type = Module  # what an entry is
    _noun = "layers"

    def _entry(self, value: Any, position: Any) -> Any:
        return _checked(self, value, position)

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def append(self, value: Any) -> Any:
        """Add `value` at the end, named by its position ("3"); returns self."""
        setattr(self, str(len(self)), self._entry(value, len(self)))
        return self

    def extend(self, values: Iterable[Any]) -> Any:
        """Append each of `values` (an iterable: one entry is refused, as PyTorch's);
        returns self."""
        if isinstance(values, (Tensor, np.ndarray)) or not isinstance(values, Iterable):
            raise TypeError(f"{type(self).__name__}: extend expects an iterable of "
                            f"{self._noun}, got a value of type {type(values).__name__}; "
                            f"append adds one")
        for value in values:
            self.append(value)
        return self

    def __setitem__(self, index: int, value: Any) -> None:
        """Replace the entry at `index` (its name kept)."""
        setattr(self, self._key(index), self._entry(value, index))

    def _keys(self) -> list[str]:
        return [key for key, value in vars(self).items() if isinstance(value, self._kind)]

    def _key(self, index: Any) -> str:
        """The attribute name of the entry at `index` (an int, negative from the end)."""
        keys = self._keys()
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
                or not -len(keys) <= index < len(keys):
            raise IndexError(f"{type(self).__name__}: index {index!r} is out of range for "
                             f"{len(keys)} {self._noun}")
        return keys[index]

    def _layers(self) -> list[Any]:
        # the attributes append() set, "0", "1", ..., in order
        return [value for value in vars(self).values() if isinstance(value, self._kind)]

    def __len__(self) -> int:
        return len(self._layers())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._layers())


class ModuleList(_List):
    """Modules in a list: `blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])`;
    the i-th is named "i" (`blocks.0.weight`). No forward: loop over it in yours."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__(modules)

    def insert(self, index: int, module: Module) -> None:
        """Put `module` before position `index` (as list.insert); those after it are
        renumbered ("2" becomes "3"), as in PyTorch."""
        layers = self._layers()
        layers.insert(index, _checked(self, module, index))
        self._renumber(layers)

    def __delitem__(self, index: int | slice) -> None:
        """Remove the layer(s) at `index`; the rest are renumbered, as in PyTorch."""
        layers = self._layers()
        if not isinstance(index, slice):
            self._key(index)  # (an index out of range: the error of __getitem__)
        del layers[index]
        self._renumber(layers)

    def pop(self, index: int = -1) -> Module:
        """Remove the layer at `index` (the last by default) and return it."""
        module = self[index]
        del self[index]
        return module

    def _renumber(self, layers: list[Module]) -> None:
        for key in self._keys():
            delattr(self, key)
        for i, module in enumerate(layers):
            setattr(self, str(i), module)

    def __repr__(self) -> str:
        """PyTorch's: a run of equal reprs printed once, `(0-2): 3 x Linear(...)`."""
        runs: list[list] = []  # [first index, last index, repr]
        for i, text in enumerate(repr(module) for module in self):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = [indented(f"({first}): {text}" if first == last else
                          f"({first}-{last}): {last - first + 1} x {text}")
                 for first, last, text in runs]
        return f"{type(self).__name__}(" + "".join("\n  " + line for line in lines) + \
            ("\n)" if lines else ")")

    def __getitem__(self, index: int | slice) -> Any:
        layers = self._layers()
        if isinstance(index, slice):
            return type(self)().extend(layers[index])  # (a Sequential's slice: a Sequential)
        try:
            return layers[index]
        except (IndexError, TypeError):
            raise IndexError(f"{type(self).__name__}: index {index!r} is out of range for "
                             f"{len(layers)} layers") from None


class Sequential(ModuleList):
    """Modules applied one after another; the i-th is named "i" (`0.weight`, `2.bias`),
    or, given one `OrderedDict` of them, by its keys (`Sequential(OrderedDict([("fc",
    Linear(2, 3)), ("act", ReLU())]))`: `fc.weight`), as PyTorch's. A ModuleList (append,
    insert, len, iteration, indexing; a slice is a Sequential keeping the names) with a
    forward."""

    def __init__(self, *args: Module) -> None:
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            super().__init__()
            for key, module in args[0].items():
                if not isinstance(key, str):
                    raise TypeError(f"Sequential: the OrderedDict's keys are the layers' "
                                    f"names and must be strings, got {key!r}")
                self.add_module(key, _checked(self, module, repr(key)))
        else:
            super().__init__(args)

    __repr__ = Module.__repr__  # (each layer on its line: PyTorch groups a ModuleList's only)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):  # PyTorch's: the layers keep their names
            return type(self)(OrderedDict(list(zip(self._keys(), self._layers()))[index]))
        return super().__getitem__(index)

    def forward(self, input: Any) -> Any:
        for layer in self._layers():
            input = layer(input)
        return input


class _Dict(Module):
    """What ModuleDict and ParameterDict share: each entry is the attribute named by its
    key, so entries keep the order they were added in."""

    _positional_tensors = None  # (its entries: checked one by one, with their own message)

    _kind: type = Module  # what an entry is
    _noun = "module"
    _sort_dict = False  # (PyTorch's ParameterDict sorts the keys of a plain dict)

    def _entry(self, value: Any, key: str) -> Any:
        return _checked(self, value, repr(key))

    def _check_key(self, key: Any) -> None:
        held = vars(self).get(key) if isinstance(key, str) else None
        if not isinstance(key, str) or not key or "." in key or hasattr(type(self), key) \
                or (held is not None and not isinstance(held, self._kind)):
            name = type(self).__name__
            raise KeyError(f"{name}: key {key!r} must be a non-empty string without '.' that "
                           f"names no attribute of {name} (such as 'training', 'keys' or "
                           f"'forward')")

    def __setitem__(self, key: str, value: Any) -> None:
        self._check_key(key)
        setattr(self, key, self._entry(value, key))

    def update(self, entries: Any) -> None:
        """Add (or replace) the entries of a mapping (a dict, another container) or of
        (key, value) pairs, in their order, as PyTorch's (ParameterDict, as PyTorch's,
        sorts a plain dict's keys; an OrderedDict keeps its order); all are checked before
        any is added."""
        pairs = []
        for key, value in _pairs(self, entries, self._sort_dict):
            self._check_key(key)
            pairs.append((key, self._entry(value, key)))
        for key, value in pairs:
            setattr(self, key, value)

    def __getitem__(self, key: str) -> Any:
        if key not in self:
            raise KeyError(f"{type(self).__name__}: no {self._noun} named {key!r}; it has "
                           f"{self.keys()}")
        return vars(self)[key]

    def __delitem__(self, key: str) -> None:
        """Remove the entry `key` (a KeyError listing the keys if there is none)."""
        self[key]  # (a missing key: the error of __getitem__)
        delattr(self, key)

    def pop(self, key: str) -> Any:
        """Remove the entry `key` and return it."""
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        """Remove every entry."""
        for key in self.keys():
            delattr(self, key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and isinstance(vars(self).get(key), self._kind)

    def keys(self) -> list[str]:
        """The keys, in order."""
        return [key for key, _ in self.items()]

    def values(self) -> list[Any]:
        """The entries, in the order of their keys."""
        return [value for _, value in self.items()]

    def items(self) -> list[tuple[str, Any]]:
        """(key, entry) pairs, in order."""
        return [(k, v) for k, v in vars(self).items() if isinstance(v, self._kind)]

    def __len__(self) -> int:
        return len(self.items())

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())


class ModuleDict(_Dict):
    """Modules by name: `heads = nn.ModuleDict({"digit": nn.Linear(8, 10)})`; `heads["digit"]`,
    `heads.digit`, parameters named `heads.digit.weight`. Keys keep their order; `update`,
    `pop`, `del heads[key]` and `clear` as PyTorch's."""

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)


class ParameterList(_List):
    """Parameters in a list: `self.weights = nn.ParameterList([np.zeros((3, 2)) for _ in
    range(2)])`; the i-th is named "i" (`weights.0`), so `parameters()`, `state_dict()` and
    the optimizers find it. A Tensor or an array becomes an `nn.Parameter`, as in PyTorch."""

    _kind = Parameter
    _noun = "parameters"

    def _entry(self, value: Any, position: Any) -> Parameter:
        return _as_parameter(self, value, position)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(list(self)[index])  # the same Parameters, as PyTorch's
        return vars(self)[self._key(index)]

    def extra_repr(self) -> str:
        return _listing((str(i), p) for i, p in enumerate(self))


class ParameterDict(_Dict):
    """Parameters by name: `self.scales = nn.ParameterDict({"a": np.ones(3)})`; `scales["a"]`,
    `scales.a`, named `scales.a` in `state_dict()`. A Tensor or an array becomes an
    `nn.Parameter`, as in PyTorch. Keys keep the order they were added in, except that a
    plain dict given to the constructor or `update` is added in sorted key order, as
    PyTorch does (an OrderedDict or (key, value) pairs keep theirs)."""

    _kind = Parameter
    _noun = "parameter"
    _sort_dict = True

    def __init__(self, parameters: Mapping[str, Any] | Iterable | None = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def _entry(self, value: Any, key: str) -> Parameter:
        return _as_parameter(self, value, repr(key))

    def get(self, key: str, default: Any = None) -> Any:
        """The parameter `key`, or `default` where there is none (dict's get)."""
        return self[key] if key in self else default

    def setdefault(self, key: str, default: Any = None) -> Parameter:
        """The parameter `key`, first set to `default` (made a Parameter) where there is
        none (dict's setdefault)."""
        if key not in self:
            self[key] = default
        return self[key]

    def popitem(self) -> tuple[str, Parameter]:
        """Remove the last entry added and return it as (key, parameter)."""
        keys = self.keys()
        if not keys:
            raise KeyError("ParameterDict.popitem(): the ParameterDict is empty")
        return keys[-1], self.pop(keys[-1])

    def copy(self) -> "ParameterDict":
        """A new ParameterDict holding these same parameters, in this order."""
        return ParameterDict(self.items())

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> "ParameterDict":
        """A new ParameterDict of `keys`, each holding `default` (made a Parameter), as
        PyTorch's (a method of an instance, as there)."""
        return ParameterDict([(key, default) for key in keys])

    def extra_repr(self) -> str:
        return _listing(self.items(), type_name=True)
